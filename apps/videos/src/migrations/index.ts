import type { MigrationClass } from '@vgp/persistence';
import { CreateVideos1764100000000 } from './1764100000000-create-videos.js';
import { LowercaseJobIds1764200000000 } from './1764200000000-lowercase-job-ids.js';

/** In order. Committed migrations are never rewritten: add a new one. */
export const VIDEOS_MIGRATIONS: MigrationClass[] = [CreateVideos1764100000000, LowercaseJobIds1764200000000];
