import type { MigrationClass } from '@vgp/persistence';
import { CreateUsers1764200000000 } from './1764200000000-create-users.js';

/** In order. Committed migrations are never rewritten: add a new one. */
export const USERS_MIGRATIONS: MigrationClass[] = [CreateUsers1764200000000];
