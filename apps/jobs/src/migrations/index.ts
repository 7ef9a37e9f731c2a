import { CreateJobs1764000000000 } from './1764000000000-create-jobs.js';
import { JobScheduling1764100000000 } from './1764100000000-job-scheduling.js';
import { JobEstimatesIndex1764200000000 } from './1764200000000-job-estimates-index.js';
import { LeanWriteIndexes1764300000000 } from './1764300000000-lean-write-indexes.js';
import { FairClaimOrder1764400000000 } from './1764400000000-fair-claim-order.js';

/** In order. Committed migrations are never rewritten: add a new one. */
export const JOBS_MIGRATIONS = [CreateJobs1764000000000, JobScheduling1764100000000, JobEstimatesIndex1764200000000, LeanWriteIndexes1764300000000, FairClaimOrder1764400000000];
