import { createDataSourceOptions } from '@vgp/persistence';
import { JOBS_ENTITIES } from './entities.js';
import { JOBS_MIGRATIONS } from './migrations/index.js';

export const SCHEMA = 'jobs';

/** For `npm run migrate` and the TypeORM CLI: this service's schema and migrations. */
export const dataSourceOptions = (url: string) =>
  createDataSourceOptions({ url, schema: SCHEMA, entities: JOBS_ENTITIES, migrations: JOBS_MIGRATIONS });
