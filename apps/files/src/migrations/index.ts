import type { MigrationClass } from '@vgp/persistence';

/** In order. Committed migrations are never rewritten: add a new one. */
export const FILES_MIGRATIONS: MigrationClass[] = [];
