/**
 * NATS subjects of the `jobs` service. Request-reply: `<service>.v1.<entity>.<verb>`;
 * events: `<service>.v1.<entity>.<past-tense>`.
 */
export const JobsSubjects = {
  create: 'jobs.v1.job.create',
  createBatch: 'jobs.v1.batch.create',
  get: 'jobs.v1.job.get',
  status: 'jobs.v1.job.status',
  list: 'jobs.v1.job.list',
  cancel: 'jobs.v1.job.cancel',
  retry: 'jobs.v1.job.retry',
  delete: 'jobs.v1.job.delete',
  logs: 'jobs.v1.job.logs',
  /** Stored events of one job after a sequence number (SSE resumption). */
  eventsSince: 'jobs.v1.event.list',
  quota: 'jobs.v1.quota.get',
  queueStatus: 'jobs.v1.queue.get',
  stats: 'jobs.v1.stats.get',
  // The render worker's side.
  claim: 'jobs.v1.job.claim',
  renew: 'jobs.v1.lease.renew',
  release: 'jobs.v1.lease.release',
  progress: 'jobs.v1.job.progress',
  complete: 'jobs.v1.job.complete',
  fail: 'jobs.v1.job.fail',
} as const;

export const JobsEvents = {
  /** A JobEvent: status, progress, stage or error of one job changed. */
  updated: 'jobs.v1.job.updated',
  /** A job was queued or re-queued: idle workers should claim. */
  queued: 'jobs.v1.job.queued',
  /** A processing job was cancelled: its worker must stop. Payload `{ job_id }`. */
  cancelled: 'jobs.v1.job.cancelled',
} as const;
