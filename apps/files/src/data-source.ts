import { createDataSourceOptions } from '@vgp/persistence';
import { FILES_ENTITIES } from './entities.js';
import { FILES_MIGRATIONS } from './migrations/index.js';

export const SCHEMA = 'files';

/** For `npm run migrate`: this service's schema and migrations. */
export const dataSourceOptions = (url: string) =>
  createDataSourceOptions({ url, schema: SCHEMA, entities: FILES_ENTITIES, migrations: FILES_MIGRATIONS });
