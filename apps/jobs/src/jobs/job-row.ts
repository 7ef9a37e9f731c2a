import {
  type Job,
  type JobConfiguration,
  type JobCreatedView,
  type JobError,
  type JobEvent,
  type JobListItem,
  type JobPriority,
  type JobProgress,
  type JobQueuedEvent,
  JobStatus,
  type JobStatusView,
  type JobType,
  PRIORITY_RANK,
  TERMINAL_JOB_STATUSES,
} from '@vgp/contracts';

/**
 * The `jobs.v1.job.queued` event for jobs that became claimable together, or null for none: one
 * event wakes every idle worker once, and a woken worker claims until its slots are full or the
 * queue is empty (one event per job woke each of them once per job).
 */
export function queuedEvent(rows: ReadonlyArray<{ id: string; priority: JobPriority }>): JobQueuedEvent | null {
  if (!rows.length) return null;
  const urgent = rows.reduce((a, b) => (PRIORITY_RANK[b.priority] > PRIORITY_RANK[a.priority] ? b : a));
  return { job_id: rows[0].id, priority: urgent.priority, job_ids: rows.map((r) => r.id) };
}

/** A `jobs.jobs` row as `pg` returns it (snake_case, timestamps as Date). */
export interface JobRow {
  id: string;
  user_id: string;
  job_type: JobType;
  priority: JobPriority;
  priority_rank: number;
  configuration: JobConfiguration;
  status: JobStatus;
  progress: JobProgress;
  error: JobError | null;
  result: Record<string, any> | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  batch_id: string | null;
  parent_job_id: string | null;
  is_deleted: boolean;
  deleted_at: Date | null;
  retry_count: number;
  max_retries: number;
  run_after: Date;
  lease_token: string | null;
  lease_expires_at: Date | null;
  worker_id: string | null;
  cancel_requested: boolean;
  idempotency_key: string | null;
  request_hash: string | null;
  event_seq: number;
}

export type JobEventType = JobEvent['type'];

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : undefined);
const isoOf = (d: Date) => new Date(d).toISOString();

/** What a job's progress is shown from; a job just stored has no start or end yet. */
type ProgressSource = Pick<JobRow, 'status' | 'progress'> & Partial<Pick<JobRow, 'started_at' | 'completed_at'>>;

/** Seconds since the first attempt started, up to its end: measured, never guessed. */
export function processingSeconds(row: Partial<Pick<JobRow, 'started_at' | 'completed_at'>>, now = Date.now()): number | undefined {
  if (!row.started_at) return undefined;
  const end = row.completed_at ? new Date(row.completed_at).getTime() : now;
  return Math.max(0, Math.round((end - new Date(row.started_at).getTime()) / 100) / 10);
}

/** The progress a client sees: measured processing time, no estimate once finished. */
export function viewProgress(row: ProgressSource): JobProgress {
  const p: JobProgress = {
    percentage: Number(row.progress.percentage ?? 0),
    current_stage: row.progress.current_stage ?? null,
    stages_completed: row.progress.stages_completed ?? [],
  };
  if (!TERMINAL_JOB_STATUSES.includes(row.status)) p.estimated_completion = row.progress.estimated_completion ?? null;
  const secs = processingSeconds(row);
  if (secs !== undefined) p.processing_time_seconds = secs;
  return p;
}

/** The spec's Job, without the internal scheduling columns. */
export function toJob(e: JobRow): Job {
  const job: Job = {
    id: e.id,
    user_id: e.user_id,
    job_type: e.job_type,
    priority: e.priority,
    configuration: e.configuration,
    status: e.status,
    progress: viewProgress(e),
    created_at: isoOf(e.created_at),
    updated_at: isoOf(e.updated_at),
    is_deleted: e.is_deleted,
    retry_count: e.retry_count,
    max_retries: e.max_retries,
  };
  if (e.error) job.error = e.error;
  if (e.started_at) job.started_at = iso(e.started_at);
  if (e.completed_at) job.completed_at = iso(e.completed_at);
  if (e.batch_id) job.batch_id = e.batch_id;
  if (e.parent_job_id) job.parent_job_id = e.parent_job_id;
  if (e.deleted_at) job.deleted_at = iso(e.deleted_at);
  if (e.result) job.result = e.result;
  return job;
}

/**
 * The spec's Job Creation Response: for a job just stored, queued at 0% with its estimate; for the
 * job an idempotent replay answers with, the job as it is now (its status, its progress, no
 * estimate once finished), as its status view tells it.
 */
export function toCreatedView(e: Pick<JobRow, 'id' | 'created_at'> & ProgressSource): JobCreatedView {
  return { job_id: e.id, status: e.status, progress: viewProgress(e), created_at: isoOf(e.created_at) };
}

export function toStatusView(e: JobRow): JobStatusView {
  const view: JobStatusView = {
    job_id: e.id,
    status: e.status,
    progress: viewProgress(e),
    created_at: isoOf(e.created_at),
    updated_at: isoOf(e.updated_at),
  };
  if (e.error) view.error = e.error;
  if (e.started_at) view.started_at = iso(e.started_at);
  if (e.completed_at) view.completed_at = iso(e.completed_at);
  return view;
}

export function toListItem(e: JobRow): JobListItem {
  const item: JobListItem = {
    job_id: e.id,
    job_type: e.job_type,
    priority: e.priority,
    status: e.status,
    progress: { percentage: Number(e.progress.percentage ?? 0), current_stage: e.progress.current_stage ?? null },
    created_at: isoOf(e.created_at),
    estimated_completion: TERMINAL_JOB_STATUSES.includes(e.status) ? null : (e.progress.estimated_completion ?? null),
  };
  if (e.batch_id) item.batch_id = e.batch_id;
  if (e.parent_job_id) item.parent_job_id = e.parent_job_id;
  return item;
}

/** The live update of a job after a change; `seq` is the row's `event_seq`. */
export function toEvent(e: JobRow, type: JobEventType, message?: string): JobEvent {
  const ev: JobEvent = {
    job_id: e.id,
    user_id: e.user_id,
    seq: e.event_seq,
    type,
    status: e.status,
    progress: viewProgress(e),
    at: isoOf(e.updated_at),
    created_at: iso(e.created_at),
    updated_at: iso(e.updated_at),
  };
  if (message) ev.message = message;
  if (e.error) ev.error = e.error;
  if (e.started_at) ev.started_at = iso(e.started_at);
  if (e.completed_at) ev.completed_at = iso(e.completed_at);
  if (e.is_deleted) ev.is_deleted = true;
  if (e.result && e.status === JobStatus.COMPLETED) ev.result = e.result;
  return ev;
}
