import { createDataSourceOptions } from '@vgp/persistence';
import { USERS_ENTITIES } from './entities.js';
import { USERS_MIGRATIONS } from './migrations/index.js';

export const SCHEMA = 'users';

/** For `npm run migrate`: this service's schema and migrations. */
export const dataSourceOptions = (url: string) =>
  createDataSourceOptions({ url, schema: SCHEMA, entities: USERS_ENTITIES, migrations: USERS_MIGRATIONS });
