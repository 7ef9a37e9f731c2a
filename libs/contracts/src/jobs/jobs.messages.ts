import type { AuthContext } from '../users/user.models.js';
import type { JobConfiguration } from './job.models.js';
import type { JobPriority, JobStatus, JobType } from './job.enums.js';

/** `jobs.v1.job.create` */
export interface CreateJobRequest {
  user: AuthContext;
  configuration: JobConfiguration;
  priority: JobPriority;
  idempotency_key?: string;
}

/** `jobs.v1.batch.create` */
export interface CreateBatchRequest {
  user: AuthContext;
  jobs: Array<{ configuration: JobConfiguration; priority: JobPriority }>;
  priority: JobPriority;
  idempotency_key?: string;
}

/** Requests that address one job of the caller. */
export interface JobRefRequest {
  user: AuthContext;
  job_id: string;
}

/** `jobs.v1.job.claim`: a worker asks for its next job. */
export interface ClaimRequest {
  worker_id: string;
  job_types?: JobType[];
}

export interface ClaimedJob {
  job_id: string;
  user_id: string;
  job_type: JobType;
  priority: JobPriority;
  configuration: JobConfiguration;
  lease_token: string;
  lease_expires_at: string;
  /** 1 for the first attempt. */
  attempt: number;
  max_retries: number;
}

export interface ClaimResponse {
  job: ClaimedJob | null;
}

export interface LeaseRef {
  job_id: string;
  lease_token: string;
}

export interface LeaseState {
  lease_expires_at: string;
  /** The job was cancelled: stop, clean up, and release. */
  cancel_requested: boolean;
}

/** `jobs.v1.job.progress` */
export interface ProgressReport extends LeaseRef {
  percentage: number;
  current_stage: string;
  stages_completed: string[];
  message?: string;
  details?: Record<string, any>;
}

/** `jobs.v1.job.complete` */
export interface CompleteRequest extends LeaseRef {
  result: Record<string, any>;
  stages_completed: string[];
}

/** `jobs.v1.job.fail` */
export interface FailRequest extends LeaseRef {
  error_code: string;
  error_message: string;
  error_details?: Record<string, any>;
  /** False for failures a retry cannot fix (bad input, refused content). */
  retryable: boolean;
}

export interface FailResponse {
  status: JobStatus;
  next_attempt_at?: string;
}
