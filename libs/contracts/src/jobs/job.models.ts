import type { JobLogLevel, JobPriority, JobStatus, JobType, VideoQuality } from './job.enums.js';

/** What a client asks for (spec: JobConfiguration). */
export interface JobConfiguration {
  topic: string;
  context: string;
  model?: string;
  quality: VideoQuality;
  use_rag: boolean;
  custom_config?: Record<string, any>;
  template_id?: string;
  style_preferences?: Record<string, string>;
  enable_subtitles: boolean;
  enable_thumbnails: boolean;
  output_format: string;
}

export interface JobProgress {
  percentage: number;
  current_stage?: string | null;
  stages_completed: string[];
  estimated_completion?: string | null;
  processing_time_seconds?: number;
}

export interface JobError {
  error_code: string;
  error_message: string;
  error_details?: Record<string, any>;
  stack_trace?: string;
  retry_count: number;
  max_retries: number;
}

/** The full job (spec: Job). */
export interface Job {
  id: string;
  user_id: string;
  job_type: JobType;
  priority: JobPriority;
  configuration: JobConfiguration;
  status: JobStatus;
  progress: JobProgress;
  error?: JobError;
  created_at: string;
  updated_at: string;
  started_at?: string;
  completed_at?: string;
  batch_id?: string;
  parent_job_id?: string;
  is_deleted: boolean;
  deleted_at?: string;
  /** Attempts so far (also in `error.retry_count` once an attempt failed). */
  retry_count?: number;
  max_retries?: number;
  /** Set on completion: what the job produced (e.g. `{ video_id }`, or a batch's child outcomes). */
  result?: Record<string, any>;
}

/** "Job Creation Response" of the spec. */
export interface JobCreatedView {
  job_id: string;
  status: JobStatus;
  progress: JobProgress;
  created_at: string;
}

/** "Job Status Response" of the spec. */
export interface JobStatusView {
  job_id: string;
  status: JobStatus;
  progress: JobProgress;
  error?: JobError;
  created_at: string;
  updated_at: string;
  started_at?: string;
  completed_at?: string;
}

/** One row of "Job List Response". */
export interface JobListItem {
  job_id: string;
  job_type: JobType;
  priority: JobPriority;
  status: JobStatus;
  progress: Pick<JobProgress, 'percentage' | 'current_stage'>;
  created_at: string;
  estimated_completion: string | null;
  batch_id?: string;
  parent_job_id?: string;
}

export interface BatchCreatedView {
  batch_id: string;
  parent_job: JobCreatedView;
  job_ids: string[];
}

export interface JobLogEntry {
  id: number;
  job_id: string;
  level: JobLogLevel;
  message: string;
  details?: Record<string, any>;
  created_at: string;
}

/** A live update of a job, pushed to SSE/WebSocket clients. `seq` grows per job, for resumption. */
export interface JobEvent {
  job_id: string;
  user_id: string;
  seq: number;
  type: 'status' | 'progress' | 'stage' | 'error';
  status: JobStatus;
  progress: JobProgress;
  error?: JobError;
  at: string;
  /** A human-readable line (also in the job's log). */
  message?: string;
  created_at?: string;
  updated_at?: string;
  started_at?: string;
  completed_at?: string;
  is_deleted?: boolean;
  result?: Record<string, any>;
}

export interface QuotaView {
  user_id: string;
  max_concurrent_jobs: number;
  active_jobs: number;
  max_daily_jobs: number;
  jobs_today: number;
  day_resets_at: string;
}

export interface QueueStatusView {
  queue_length: number;
  by_priority: Record<JobPriority, number>;
  running_jobs: number;
  expected_wait_seconds: number;
  /** Workers holding a lease right now. */
  active_workers?: number;
}

/** `jobs.v1.stats.get`: figures for the system metrics, measured over `window_minutes`. */
export interface JobStatsView {
  window_minutes: number;
  queue_length: number;
  queue_by_priority: Record<JobPriority, number>;
  jobs_by_status: Record<JobStatus, number>;
  /** Over jobs finished in the window; null when none did. */
  avg_processing_time_minutes: number | null;
  success_rate_percent: number | null;
  /** Processing jobs whose lease is older than expected (stuck). */
  stuck_jobs: number;
  oldest_queued_age_seconds: number | null;
}
