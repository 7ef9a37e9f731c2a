import type { Job, JobCreatedView, JobListItem, JobStatusView } from '@vgp/contracts';
import type { JobEntity } from './job.entity.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

/** The spec's Job, without the internal scheduling columns. */
export function toJob(e: JobEntity): Job {
  const job: Job = {
    id: e.id,
    user_id: e.userId,
    job_type: e.jobType,
    priority: e.priority,
    configuration: e.configuration,
    status: e.status,
    progress: e.progress,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
    is_deleted: e.isDeleted,
    retry_count: e.retryCount,
    max_retries: e.maxRetries,
  };
  if (e.error) job.error = e.error;
  if (e.startedAt) job.started_at = iso(e.startedAt);
  if (e.completedAt) job.completed_at = iso(e.completedAt);
  if (e.batchId) job.batch_id = e.batchId;
  if (e.parentJobId) job.parent_job_id = e.parentJobId;
  if (e.deletedAt) job.deleted_at = iso(e.deletedAt);
  if (e.result) job.result = e.result;
  return job;
}

export function toCreatedView(e: JobEntity): JobCreatedView {
  return {
    job_id: e.id,
    status: e.status,
    progress: { current_stage: null, ...e.progress },
    created_at: e.createdAt.toISOString(),
  };
}

export function toStatusView(e: JobEntity): JobStatusView {
  const view: JobStatusView = {
    job_id: e.id,
    status: e.status,
    progress: e.progress,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
  if (e.error) view.error = e.error;
  if (e.startedAt) view.started_at = iso(e.startedAt);
  if (e.completedAt) view.completed_at = iso(e.completedAt);
  return view;
}

export function toListItem(e: JobEntity): JobListItem {
  const item: JobListItem = {
    job_id: e.id,
    job_type: e.jobType,
    priority: e.priority,
    status: e.status,
    progress: { percentage: e.progress.percentage, current_stage: e.progress.current_stage ?? null },
    created_at: e.createdAt.toISOString(),
    estimated_completion: e.progress.estimated_completion ?? null,
  };
  if (e.batchId) item.batch_id = e.batchId;
  if (e.parentJobId) item.parent_job_id = e.parentJobId;
  return item;
}
