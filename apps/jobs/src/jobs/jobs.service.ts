import { Injectable } from '@nestjs/common';
import {
  AppError,
  type AuthContext,
  ErrorCode,
  type EventsSinceRequest,
  type EventsSinceResponse,
  isUuid,
  type Job,
  type JobEvent,
  type JobListItem,
  JobLogLevel,
  type JobLogEntry,
  type JobLogsRequest,
  JobPriority,
  type JobCancelledEvent,
  JobsEvents,
  type JobStatsView,
  JobStatus,
  type JobStatusMeta,
  type JobStatusView,
  JobType,
  type ListJobsRequest,
  type PaginatedResponse,
  type QueueStatusView,
  type QuotaView,
  paginate,
  pageWindow,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { BatchProgressService } from './batch-progress.service.js';
import { EstimatesService } from './estimates.service.js';
import { JobCreationService, utcDayStart } from './job-creation.service.js';
import { JobEventsRecorder } from './job-events.recorder.js';
import { type JobRow, queuedEvent, toEvent, toJob, toListItem, toStatusView } from './job-row.js';
import { JobsDb } from './jobs.db.js';
import { ListCountCache } from './list-count.cache.js';

const ACTIVE: readonly JobStatus[] = [JobStatus.QUEUED, JobStatus.PROCESSING];
const SORT_COLUMNS = { created_at: 'created_at', updated_at: 'updated_at', priority: 'priority_rank', status: 'status' } as const;

/** The user's side of jobs: reads, lists, cancellation, retry, deletion, logs, events, quotas. */
@Injectable()
export class JobsService {
  constructor(
    private readonly db: JobsDb,
    private readonly events: JobEventsRecorder,
    private readonly batches: BatchProgressService,
    private readonly estimates: EstimatesService,
    private readonly creation: JobCreationService,
    private readonly nats: NatsClient,
    private readonly counts: ListCountCache,
  ) {}

  async get(user: AuthContext, jobId: string): Promise<Job> {
    return toJob(await this.findVisible(user, jobId));
  }

  async status(user: AuthContext, jobId: string): Promise<JobStatusView> {
    return toStatusView(await this.findVisible(user, jobId));
  }

  async statusMeta(user: AuthContext, jobId: string): Promise<JobStatusMeta> {
    const row = await this.findVisible(user, jobId);
    return { view: toStatusView(row), user_id: row.user_id, seq: row.event_seq };
  }

  /** The job if the caller may see it; another user's job answers exactly like a missing one. */
  private async findVisible(user: AuthContext, jobId: string): Promise<JobRow> {
    const notFound = AppError.notFound(ErrorCode.JOB_NOT_FOUND, 'job', { job_id: jobId });
    if (!isUuid(jobId)) throw notFound;
    const [row] = await this.db.query<JobRow>(`SELECT * FROM jobs.jobs WHERE id = $1 AND NOT is_deleted`, [jobId], 'job_by_id');
    if (!row || (row.user_id !== user?.user_id && !user?.permissions?.can_view_all_jobs)) throw notFound;
    return row;
  }

  /**
   * Filters and sorts of API.md. Deep pages stay fast: the page's ids come from an index-only
   * scan (offset over index entries, not rows), then only those rows are read; the count is
   * index-only too.
   */
  async list(user: AuthContext, q: ListJobsRequest): Promise<PaginatedResponse<JobListItem>> {
    const where: string[] = ['NOT is_deleted'];
    const values: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      values.push(v);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (q.all || q.user_id) {
      if (!user.permissions.can_view_all_jobs) throw AppError.forbidden('Only administrators may list other users\' jobs');
      if (q.user_id && !q.all) add('user_id = ?', q.user_id);
    } else add('user_id = ?', user.user_id);
    if (q.status) add('status = ?', q.status);
    if (q.job_type) add('job_type = ?', q.job_type);
    if (q.priority) add('priority = ?', q.priority);
    if (q.batch_id) add('batch_id = ?::uuid', q.batch_id);
    if (q.created_after) add('created_at >= ?::timestamptz', q.created_after);
    if (q.created_before) add('created_at < ?::timestamptz', q.created_before);
    const { page, per } = pageWindow(q.page, q.items_per_page);
    const dir = q.sort_order === 'asc' ? 'ASC' : 'DESC';
    const col = Object.hasOwn(SORT_COLUMNS, q.sort_by) ? SORT_COLUMNS[q.sort_by] : 'created_at';
    const order = col === 'created_at' ? `created_at ${dir}, id ${dir}` : `${col} ${dir}, created_at ${dir}, id ${dir}`;
    const cond = where.join(' AND ');
    const owner = q.all ? null : (q.user_id ?? user.user_id);
    const [total, rows] = await Promise.all([
      this.counts.count(owner, `${cond}|${JSON.stringify(values)}`, async () => (await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs.jobs WHERE ${cond}`, values))[0].n),
      this.db.query<JobRow>(
        `WITH ids AS (SELECT id, ${col === 'created_at' ? '' : `${col}, `}created_at FROM jobs.jobs WHERE ${cond} ORDER BY ${order} OFFSET ${(page - 1) * per} LIMIT ${per})
         SELECT j.* FROM ids JOIN jobs.jobs j USING (id) ORDER BY ${order.replace(/(\w+) (ASC|DESC)/g, 'j.$1 $2')}`,
        values,
      ),
    ]);
    return paginate(rows.map(toListItem), page, per, total);
  }

  async cancel(user: AuthContext, jobId: string): Promise<Job> {
    const row = await this.findVisible(user, jobId);
    if (row.user_id !== user.user_id && !user.permissions.can_cancel_any_job) throw AppError.forbidden('You may not cancel other users\' jobs');
    const cancelled = await this.cancelRow(row.id, `Cancelled by ${user.user_id === row.user_id ? 'its owner' : user.user_id}`);
    if (!cancelled) {
      const [now] = await this.db.query<JobRow>(`SELECT * FROM jobs.jobs WHERE id = $1`, [row.id]);
      throw now.status === JobStatus.COMPLETED
        ? AppError.conflict(ErrorCode.JOB_ALREADY_COMPLETED, 'The job has already completed', { job_id: row.id, status: now.status })
        : AppError.conflict(ErrorCode.JOB_CANNOT_BE_CANCELLED, `A ${now.status} job cannot be cancelled`, { job_id: row.id, status: now.status });
    }
    return toJob(cancelled);
  }

  /**
   * Queued → cancelled at once; processing → cancelled, and its worker is told (it stops and
   * cleans up); a batch parent takes its active children with it. Null when already finished.
   */
  private async cancelRow(jobId: string, reason: string): Promise<JobRow | null> {
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow & { was: JobStatus }>(
        `WITH cur AS (SELECT id, status AS was FROM jobs.jobs WHERE id = $1 AND status IN ('queued', 'processing') FOR UPDATE)
         UPDATE jobs.jobs t SET status = 'cancelled', cancel_requested = (cur.was = 'processing'), completed_at = now(), lease_expires_at = NULL,
                progress = t.progress - 'estimated_completion', updated_at = now(), event_seq = t.event_seq + 1
         FROM cur WHERE t.id = cur.id RETURNING t.*, cur.was`,
        [jobId],
      );
      const row = rows[0];
      if (!row) return null;
      const evs = [await this.events.record(c, row, 'status', JobLogLevel.INFO, reason)];
      if (row.parent_job_id) evs.push(...(await this.batches.refresh(c, row.parent_job_id)));
      return { row, evs };
    }, { lockFamilyOf: jobId });
    if (!out) return null;
    this.events.publish(out.evs);
    this.nats.publish(JobsEvents.cancelled, cancelledEvent(out.row));
    if (out.row.job_type === JobType.BATCH_VIDEO_GENERATION) {
      const kids = await this.db.query<{ id: string }>(`SELECT id FROM jobs.jobs WHERE parent_job_id = $1 AND status IN ('queued', 'processing')`, [jobId]);
      for (const k of kids) await this.cancelRow(k.id, 'Cancelled with its batch');
    }
    return out.row;
  }

  /** A failed or cancelled job (or batch: its failed and cancelled children) is queued again. */
  async retry(user: AuthContext, jobId: string): Promise<Job> {
    const row = await this.findVisible(user, jobId);
    this.assertOwner(user, row, 'retry');
    this.checkRetryable(row, await this.redoableChildren((sql, v) => this.db.query(sql, v), row));
    if (row.parent_job_id) throw AppError.conflict(ErrorCode.CONFLICT, 'This job belongs to a batch: retry the batch', { job_id: row.id, parent_job_id: row.parent_job_id });
    const out = await this.db.tx(async (c) => {
      // The lock order of JobsDb: the owner's quota lock, the job (a batch: its parent), the children by id.
      await c.query(`SELECT pg_advisory_xact_lock(hashtextextended('jobs-quota:' || $1::text, 0))`, [row.user_id]);
      const [locked] = (await c.query<JobRow>(`SELECT * FROM jobs.jobs WHERE id = $1 FOR UPDATE`, [row.id])).rows;
      // Read again under the lock: deleted, retried or otherwise changed since it was first read.
      if (!locked || locked.is_deleted) throw AppError.notFound(ErrorCode.JOB_NOT_FOUND, 'job', { job_id: jobId });
      this.checkRetryable(locked, await this.redoableChildren(async (sql, v) => (await c.query(sql, v)).rows, locked));
      if (row.job_type !== JobType.FILE_PROCESSING) {
        const [u] = (
          await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM jobs.jobs WHERE user_id = $1 AND status IN ('queued', 'processing') AND parent_job_id IS NULL AND job_type <> 'file_processing'`,
            [row.user_id],
          )
        ).rows;
        const err = this.creation.quotaError(user, { active: u.n, today: 0 }, { active: 1, daily: 0 });
        if (err) throw err;
      }
      const ids = row.job_type === JobType.BATCH_VIDEO_GENERATION
        ? (
            await c.query<{ id: string }>(`SELECT id FROM jobs.jobs WHERE parent_job_id = $1 AND status IN ('failed', 'cancelled') AND NOT is_deleted ORDER BY id FOR UPDATE`, [row.id])
          ).rows.map((r) => r.id)
        : [row.id];
      const evs: JobEvent[] = [];
      const requeued: JobRow[] = [];
      for (const id of ids) {
        const { rows } = await c.query<JobRow>(
          `UPDATE jobs.jobs SET status = 'queued', retry_count = 0, error = NULL, result = NULL, run_after = now(), lease_token = NULL, lease_expires_at = NULL,
                  worker_id = NULL, cancel_requested = false, completed_at = NULL, started_at = NULL, updated_at = now(), event_seq = event_seq + 1,
                  progress = jsonb_build_object('percentage', 0, 'current_stage', NULL, 'stages_completed', '[]'::jsonb, 'estimated_completion', $2::text)
           WHERE id = $1 AND status IN ('failed', 'cancelled') AND NOT is_deleted RETURNING *`,
          [id, this.estimates.queuedEstimate(row.configuration?.quality)],
        );
        if (!rows[0]) continue;
        requeued.push(rows[0]);
        evs.push(await this.events.record(c, rows[0], 'status', JobLogLevel.INFO, `Queued again by ${user.user_id}`));
      }
      let parent = row;
      if (row.job_type === JobType.BATCH_VIDEO_GENERATION) {
        // From scratch, as a single job's retry: its processing time restarts, and refresh() below
        // sets its status, progress and estimate from its children's.
        const { rows } = await c.query<JobRow>(
          `UPDATE jobs.jobs SET status = 'queued', error = NULL, result = NULL, completed_at = NULL, started_at = NULL, updated_at = now(), event_seq = event_seq + 1,
                  progress = jsonb_build_object('percentage', 0, 'current_stage', NULL, 'stages_completed', '[]'::jsonb, 'estimated_completion', NULL)
           WHERE id = $1 RETURNING *`,
          [row.id],
        );
        evs.push(await this.events.record(c, rows[0], 'status', JobLogLevel.INFO, `Batch queued again by ${user.user_id} (${ids.length} job(s))`));
        evs.push(...(await this.batches.refresh(c, row.id)));
        parent = (await c.query<JobRow>(`SELECT * FROM jobs.jobs WHERE id = $1`, [row.id])).rows[0];
      } else parent = requeued[0] ?? row;
      return { evs, requeued, parent };
    });
    this.events.publish(out.evs);
    const event = queuedEvent(out.requeued);
    if (event) this.nats.publish(JobsEvents.queued, event);
    return toJob(out.parent);
  }

  /**
   * Retrying and deleting are the owner's (API.md): `can_cancel_any_job` lets a moderator cancel
   * another user's job, no more. A reader of every job who is not the owner is refused (403); for
   * anyone else the job does not exist (`findVisible`).
   */
  private assertOwner(user: AuthContext, row: JobRow, action: 'retry' | 'delete'): void {
    if (row.user_id !== user.user_id) throw AppError.forbidden(`Only the job's owner may ${action} it`, { job_id: row.id });
  }

  /** A batch's children that a retry of the batch queues again (failed or cancelled, not deleted); 0 for any other job. */
  private async redoableChildren(query: (sql: string, values: unknown[]) => Promise<Array<{ n: number }>>, row: JobRow): Promise<number> {
    if (row.job_type !== JobType.BATCH_VIDEO_GENERATION) return 0;
    const [r] = await query(`SELECT count(*)::int AS n FROM jobs.jobs WHERE parent_job_id = $1 AND status IN ('failed', 'cancelled') AND NOT is_deleted`, [row.id]);
    return r?.n ?? 0;
  }

  /**
   * 409 unless failed or cancelled: JOB_ALREADY_COMPLETED for a completed job, CONFLICT for an
   * active one. A batch that completed with failed or cancelled children (`redoable`) is retried:
   * those children are queued again, or they could never be, since a child is retried through its batch.
   */
  private checkRetryable(row: JobRow, redoable = 0): void {
    if (row.status === JobStatus.FAILED || row.status === JobStatus.CANCELLED) return;
    if (row.status === JobStatus.COMPLETED && redoable > 0) return;
    if (row.status === JobStatus.COMPLETED) {
      throw AppError.conflict(ErrorCode.JOB_ALREADY_COMPLETED, 'The job has already completed; only failed or cancelled jobs can be retried', { job_id: row.id, status: row.status });
    }
    throw AppError.conflict(ErrorCode.CONFLICT, `Only failed or cancelled jobs can be retried; this one is ${row.status}`, { job_id: row.id, status: row.status });
  }

  /** Soft delete; an active job is cancelled first, a batch takes its children along. */
  async remove(user: AuthContext, jobId: string): Promise<{ job_id: string; is_deleted: true; deleted_at: string }> {
    const row = await this.findVisible(user, jobId);
    this.assertOwner(user, row, 'delete');
    if (ACTIVE.includes(row.status)) await this.cancelRow(row.id, 'Cancelled because it was deleted');
    // A job retried between that cancel and this statement is active again: it is cancelled here
    // too, so a deleted job never stays queued (no worker claims a deleted job) holding quota.
    // The lock order of JobsDb: the family's head (this job, or its batch parent), then the rows by id.
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow & { was: JobStatus }>(
        `WITH cur AS (SELECT id, status AS was, status IN ('queued', 'processing') AS active FROM jobs.jobs
                     WHERE (id = $1 OR parent_job_id = $1) AND NOT is_deleted ORDER BY id FOR UPDATE)
         UPDATE jobs.jobs t SET is_deleted = true, deleted_at = now(), updated_at = now(), event_seq = t.event_seq + 1,
                status = CASE WHEN cur.active THEN 'cancelled' ELSE t.status END,
                completed_at = CASE WHEN cur.active THEN now() ELSE t.completed_at END,
                cancel_requested = t.cancel_requested OR cur.was = 'processing',
                lease_expires_at = CASE WHEN cur.active THEN NULL ELSE t.lease_expires_at END
         FROM cur WHERE t.id = cur.id RETURNING t.*, cur.was`,
        [row.id],
      );
      const evs: JobEvent[] = [];
      for (const r of rows) evs.push(await this.events.record(c, r, 'status', JobLogLevel.INFO, 'Deleted'));
      // A batch child cancelled here (requeued by a batch retry since the cancel above) changes its
      // parent's tally; a parent deleted along with its children needs no refresh.
      const parents = new Set(rows.filter((r) => r.was !== r.status && r.parent_job_id && !rows.some((p) => p.id === r.parent_job_id)).map((r) => r.parent_job_id as string));
      for (const parentId of parents) evs.push(...(await this.batches.refresh(c, parentId)));
      return { rows, evs };
    }, { lockFamilyOf: row.id });
    this.events.publish(out.evs);
    for (const r of out.rows) if (r.was === JobStatus.PROCESSING || r.was === JobStatus.QUEUED) this.nats.publish(JobsEvents.cancelled, cancelledEvent(r));
    const mine = out.rows.find((r) => r.id === row.id);
    if (!mine) throw AppError.notFound(ErrorCode.JOB_NOT_FOUND, 'job', { job_id: jobId });
    return { job_id: row.id, is_deleted: true, deleted_at: (mine.deleted_at ?? new Date()).toISOString() };
  }

  async logs(req: JobLogsRequest): Promise<PaginatedResponse<JobLogEntry>> {
    const row = await this.findVisible(req.user, req.job_id);
    const { page, per } = pageWindow(req.page, req.items_per_page);
    const level = req.level && Object.values(JobLogLevel).includes(req.level) ? req.level : null;
    const dir = req.sort_order === 'desc' ? 'DESC' : 'ASC';
    const [count, rows] = await Promise.all([
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs.job_logs WHERE job_id = $1 AND ($2::text IS NULL OR level = $2)`, [row.id, level]),
      this.db.query<{ id: string; job_id: string; level: JobLogLevel; message: string; details: Record<string, any> | null; created_at: Date }>(
        `SELECT * FROM jobs.job_logs WHERE job_id = $1 AND ($2::text IS NULL OR level = $2) ORDER BY id ${dir} OFFSET $3 LIMIT $4`,
        [row.id, level, (page - 1) * per, per],
      ),
    ]);
    const items: JobLogEntry[] = rows.map((r) => {
      const e: JobLogEntry = { id: Number(r.id), job_id: r.job_id, level: r.level, message: r.message, created_at: r.created_at.toISOString() };
      if (r.details) e.details = r.details;
      return e;
    });
    return paginate(items, page, per, count[0].n);
  }

  /** Stored events after `after_seq` (SSE/WebSocket resumption) and the job as it is now. */
  async eventsSince(req: EventsSinceRequest): Promise<EventsSinceResponse> {
    const row = await this.findVisible(req.user, req.job_id);
    const after = typeof req.after_seq === 'number' && Number.isInteger(req.after_seq) && req.after_seq > 0 ? req.after_seq : 0;
    const limit = Math.min(1000, Math.max(1, req.limit ?? 500));
    const events = after < row.event_seq
      ? (await this.db.query<{ payload: JobEvent }>(`SELECT payload FROM jobs.job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [row.id, after, limit], 'events_since')).map((r) => r.payload)
      : [];
    return { events, current: toEvent(row, 'status') };
  }

  async quota(user: AuthContext): Promise<QuotaView> {
    const day = utcDayStart();
    const [u] = await this.db.query<{ active: number; today: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('queued', 'processing') AND parent_job_id IS NULL AND job_type <> 'file_processing')::int AS active,
              count(*) FILTER (WHERE created_at >= $2 AND job_type = 'video_generation')::int AS today
       FROM jobs.jobs WHERE user_id = $1 AND ((status IN ('queued', 'processing') AND parent_job_id IS NULL) OR created_at >= $2)`,
      [user.user_id, day],
    );
    return {
      user_id: user.user_id,
      max_concurrent_jobs: user.permissions.max_concurrent_jobs,
      active_jobs: u.active,
      max_daily_jobs: user.permissions.max_daily_jobs,
      jobs_today: u.today,
      day_resets_at: new Date(day.getTime() + 24 * 3600 * 1000).toISOString(),
    };
  }

  async queueStatus(): Promise<QueueStatusView> {
    await this.estimates.refresh();
    const f = this.estimates.figures;
    const workers = Math.max(1, f.workers);
    return {
      queue_length: f.queued,
      by_priority: { ...f.byPriority },
      running_jobs: f.processing,
      expected_wait_seconds: Math.round((f.queued / workers) * this.estimates.durationSeconds(undefined)),
      active_workers: f.workers,
    };
  }

  async stats(windowMinutes = 60): Promise<JobStatsView> {
    const win = Math.min(7 * 24 * 60, Math.max(1, Math.floor(windowMinutes)));
    const [byStatus, finished, queue] = await Promise.all([
      this.db.query<{ status: JobStatus; n: number }>(`SELECT status, count(*)::int AS n FROM jobs.jobs WHERE NOT is_deleted GROUP BY status`),
      this.db.query<{ avg_min: number | null; done: number; ok: number; stuck: number }>(
        `SELECT avg(extract(epoch FROM completed_at - started_at) / 60) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL)::float AS avg_min,
                count(*) FILTER (WHERE status IN ('completed', 'failed'))::int AS done,
                count(*) FILTER (WHERE status = 'completed')::int AS ok,
                0 AS stuck
         FROM jobs.jobs WHERE completed_at > now() - make_interval(mins => $1) AND job_type <> 'batch_video_generation'`,
        [win],
      ),
      this.db.query<{ priority: JobPriority; n: number; oldest: number | null; stuck: number }>(
        `SELECT priority, count(*) FILTER (WHERE status = 'queued')::int AS n,
                extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'queued'))::float AS oldest,
                count(*) FILTER (WHERE status = 'processing' AND lease_expires_at < now())::int AS stuck
         FROM jobs.jobs WHERE status IN ('queued', 'processing') AND job_type <> 'batch_video_generation' GROUP BY priority`,
      ),
    ]);
    const jobsByStatus = Object.fromEntries(Object.values(JobStatus).map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of byStatus) jobsByStatus[r.status] = r.n;
    const byPriority = Object.fromEntries(Object.values(JobPriority).map((p) => [p, 0])) as Record<JobPriority, number>;
    let oldest: number | null = null;
    let stuck = 0;
    for (const r of queue) {
      byPriority[r.priority] = r.n;
      stuck += r.stuck;
      if (r.oldest !== null) oldest = Math.max(oldest ?? 0, Math.round(r.oldest));
    }
    const f = finished[0];
    return {
      window_minutes: win,
      queue_length: Object.values(byPriority).reduce((a, b) => a + b, 0),
      queue_by_priority: byPriority,
      jobs_by_status: jobsByStatus,
      avg_processing_time_minutes: f.avg_min === null ? null : Math.round(f.avg_min * 100) / 100,
      success_rate_percent: f.done ? Math.round((f.ok / f.done) * 1000) / 10 : null,
      stuck_jobs: stuck,
      oldest_queued_age_seconds: oldest,
    };
  }
}

/** The `jobs.v1.job.cancelled` event of a job cancelled while queued or processing. */
function cancelledEvent(row: JobRow & { was: JobStatus }): JobCancelledEvent {
  return { job_id: row.id, job_type: row.job_type, was: row.was === JobStatus.PROCESSING ? 'processing' : 'queued' };
}
