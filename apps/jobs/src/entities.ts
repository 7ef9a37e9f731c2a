import { JobEntity } from './jobs/job.entity.js';

/** Every entity of the `jobs` schema. */
export const JOBS_ENTITIES = [JobEntity];
