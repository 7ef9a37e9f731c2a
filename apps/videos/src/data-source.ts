import { createDataSourceOptions } from '@vgp/persistence';
import { VIDEOS_ENTITIES } from './entities.js';
import { VIDEOS_MIGRATIONS } from './migrations/index.js';

export const SCHEMA = 'videos';

/** For `npm run migrate`: this service's schema and migrations. */
export const dataSourceOptions = (url: string) =>
  createDataSourceOptions({ url, schema: SCHEMA, entities: VIDEOS_ENTITIES, migrations: VIDEOS_MIGRATIONS });
