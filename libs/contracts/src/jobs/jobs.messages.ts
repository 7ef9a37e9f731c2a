import type { AuthContext } from '../users/user.models.js';
import type { JobConfiguration, JobEvent, JobStatusView } from './job.models.js';
import type { JobLogLevel, JobPriority, JobStatus, JobType } from './job.enums.js';

/** `jobs.v1.job.create` */
export interface CreateJobRequest {
  user: AuthContext;
  configuration: JobConfiguration;
  priority: JobPriority;
  idempotency_key?: string;
  /** Default `video_generation`; services (files) may create `file_processing` jobs, which bypass the video quotas. */
  job_type?: JobType;
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

/** `jobs.v1.job.status` with `meta: true` (the gateway's status cache): the view plus what the cache needs. */
export interface JobStatusRequest extends JobRefRequest {
  meta?: boolean;
}

export interface JobStatusMeta {
  view: JobStatusView;
  user_id: string;
  seq: number;
}

/** `jobs.v1.job.list` */
export interface ListJobsRequest {
  user: AuthContext;
  page: number;
  items_per_page: number;
  sort_order: 'asc' | 'desc';
  sort_by: 'created_at' | 'updated_at' | 'priority' | 'status';
  status?: JobStatus;
  job_type?: JobType;
  priority?: JobPriority;
  batch_id?: string;
  created_after?: string;
  created_before?: string;
  user_id?: string;
  all?: boolean;
}

/** `jobs.v1.job.logs` */
export interface JobLogsRequest extends JobRefRequest {
  page: number;
  items_per_page: number;
  sort_order: 'asc' | 'desc';
  level?: JobLogLevel;
}

/** `jobs.v1.event.list`: stored events of a job with `seq > after_seq`, and its current state. */
export interface EventsSinceRequest extends JobRefRequest {
  after_seq?: number;
  limit?: number;
}

export interface EventsSinceResponse {
  events: JobEvent[];
  /** The job as it is now, as an event whose `seq` is the latest. */
  current: JobEvent;
}

/** `jobs.v1.quota.get` */
export interface QuotaRequest {
  user: AuthContext;
}

/** `jobs.v1.stats.get` */
export interface JobStatsRequest {
  window_minutes?: number;
}

/**
 * `jobs.v1.job.queued` event: jobs became claimable (created, requeued, done waiting for a retry).
 * Jobs that became claimable together (the creates one transaction stored, a batch's retried
 * children, a tick's due retries) travel as one event: `job_id` is the first, `job_ids` all of
 * them, `priority` the most urgent.
 */
export interface JobQueuedEvent {
  job_id: string;
  priority: JobPriority;
  job_ids?: string[];
}

/**
 * `jobs.v1.job.cancelled` event: a job was cancelled (or deleted) while queued or processing. A
 * worker running it stops; the owner of what the job was working on (a file's text extraction)
 * learns it even when no worker ever claimed it.
 */
export interface JobCancelledEvent {
  job_id: string;
  job_type?: JobType;
  /** What it was when cancelled. */
  was?: 'queued' | 'processing';
}
