import type { MigrationClass } from '@vgp/persistence';
import { CreateFiles1764100000000 } from './1764100000000-create-files.js';
import { FileTextJobs1764200000000 } from './1764200000000-file-text-jobs.js';

/** In order. Committed migrations are never rewritten: add a new one. */
export const FILES_MIGRATIONS: MigrationClass[] = [CreateFiles1764100000000, FileTextJobs1764200000000];
