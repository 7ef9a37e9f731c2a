import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  AppError,
  type ClaimRequest,
  type ClaimResponse,
  type CompleteRequest,
  ErrorCode,
  ExtraErrorCode,
  type FailRequest,
  type FailResponse,
  isUuid,
  type JobError,
  type JobEvent,
  JobLogLevel,
  type JobPriority,
  JobsEvents,
  JobStatus,
  JobType,
  type LeaseRef,
  type LeaseState,
  PIPELINE_STAGES,
  type ProgressReport,
  STAGE_COMPLETED,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricNames, MetricsService } from '@vgp/observability';
import { JobsConfig } from '../jobs.config.js';
import { BatchProgressService } from './batch-progress.service.js';
import { EstimatesService } from './estimates.service.js';
import { JobEventsRecorder } from './job-events.recorder.js';
import { type JobRow, queuedEvent } from './job-row.js';
import { JobsDb } from './jobs.db.js';

const KNOWN_STAGES = new Set<string>([...PIPELINE_STAGES, STAGE_COMPLETED]);
const CLAIMABLE_DEFAULT = [JobType.VIDEO_GENERATION];

const leaseLost = (jobId: string) =>
  new AppError(ExtraErrorCode.LEASE_LOST, 409, 'The lease on this job is no longer held by this worker', { job_id: jobId });

function badInput(message: string): AppError {
  return new AppError(ErrorCode.INVALID_INPUT, 400, message);
}

function checkLease(ref: LeaseRef): void {
  if (!ref || !isUuid(ref.job_id) || !isUuid(ref.lease_token)) {
    throw badInput('job_id and lease_token must be UUIDs');
  }
}

/**
 * The workers' side: claims as leases, renewals, progress, completion exactly once, failures with
 * backoff, graceful hand-back, and the reaper that requeues jobs whose worker stopped renewing.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private lastTick = new Date();
  private lastEstimate = 0;
  private readonly wakeTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly db: JobsDb,
    private readonly config: JobsConfig,
    private readonly events: JobEventsRecorder,
    private readonly batches: BatchProgressService,
    private readonly estimates: EstimatesService,
    private readonly nats: NatsClient,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    void this.estimates.refresh();
    this.timer = setInterval(() => void this.tick(), this.config.JOB_REAPER_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    for (const t of this.wakeTimers) clearTimeout(t);
  }

  /**
   * Next job for a worker: highest priority first; within it, the job earliest in its owner's
   * queue (`fair_rank`: every user's first job before anyone's second, however long one user's
   * queue), then the user with the fewest jobs processing, then the oldest. Among the first 500
   * claimable rows in that order, which keeps the claim an index scan however long the queue.
   */
  async claim(req: ClaimRequest): Promise<ClaimResponse> {
    if (!req || typeof req.worker_id !== 'string' || !req.worker_id || req.worker_id.length > 200) throw badInput('worker_id is required');
    const types = req.job_types?.length ? req.job_types.filter((t) => t !== JobType.BATCH_VIDEO_GENERATION) : CLAIMABLE_DEFAULT;
    const started = process.hrtime.bigint();
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow>({
        name: 'job_claim',
        text: `WITH cand AS (
                 SELECT id FROM jobs.jobs
                 WHERE status = 'queued' AND run_after <= now() AND job_type = ANY($2::text[]) AND NOT is_deleted
                 ORDER BY priority_rank DESC, fair_rank, created_at, id LIMIT 500
               ), pick AS (
                 SELECT j.id FROM jobs.jobs j JOIN cand USING (id)
                 WHERE j.status = 'queued'
                 ORDER BY j.priority_rank DESC, j.fair_rank,
                          (SELECT count(*) FROM jobs.jobs p WHERE p.user_id = j.user_id AND p.status = 'processing'),
                          j.created_at, j.id
                 LIMIT 1 FOR UPDATE OF j SKIP LOCKED
               )
               UPDATE jobs.jobs t SET status = 'processing', lease_token = gen_random_uuid(),
                      lease_expires_at = now() + make_interval(secs => $1), worker_id = $3, retry_count = t.retry_count + 1,
                      started_at = coalesce(t.started_at, now()), updated_at = now(), event_seq = t.event_seq + 1, cancel_requested = false
               FROM pick WHERE t.id = pick.id RETURNING t.*`,
        values: [this.config.JOB_LEASE_SECONDS, types, req.worker_id],
      });
      const row = rows[0];
      if (!row) return null;
      const evs = [await this.events.record(c, row, 'status', JobLogLevel.INFO, `Attempt ${row.retry_count} of ${row.max_retries} claimed by ${row.worker_id}`)];
      // The child was taken before its parent: the parent only if free, else after the commit.
      const parentEvs = row.parent_job_id ? await this.batches.tryRefresh(c, row.parent_job_id) : [];
      evs.push(...(parentEvs ?? []));
      return { row, evs, later: parentEvs ? [] : [row.parent_job_id as string] };
    });
    if (!out) return { job: null };
    this.events.publish(out.evs);
    await this.batches.refreshAfterCommit(out.later);
    this.metrics.histogram(MetricNames.jobClaimLatency, 'Time to claim a job', ['outcome']).observe({ outcome: 'claimed' }, Number(process.hrtime.bigint() - started) / 1e9);
    const r = out.row;
    return {
      job: {
        job_id: r.id,
        user_id: r.user_id,
        job_type: r.job_type,
        priority: r.priority,
        configuration: r.configuration,
        lease_token: r.lease_token ?? '',
        lease_expires_at: (r.lease_expires_at ?? new Date()).toISOString(),
        attempt: r.retry_count,
        max_retries: r.max_retries,
      },
    };
  }

  async renew(ref: LeaseRef): Promise<LeaseState> {
    checkLease(ref);
    const rows = await this.db.query<{ lease_expires_at: Date; cancel_requested: boolean }>(
      `UPDATE jobs.jobs SET lease_expires_at = now() + make_interval(secs => $3)
       WHERE id = $1 AND lease_token = $2 AND status = 'processing' RETURNING lease_expires_at, cancel_requested`,
      [ref.job_id, ref.lease_token, this.config.JOB_LEASE_SECONDS],
      'lease_renew',
    );
    if (rows[0]) return { lease_expires_at: rows[0].lease_expires_at.toISOString(), cancel_requested: rows[0].cancel_requested };
    return this.cancelledState(ref);
  }

  /** A cancelled job still answers its worker's token with "stop" instead of LEASE_LOST, so it cleans up. */
  private async cancelledState(ref: LeaseRef): Promise<LeaseState> {
    const rows = await this.db.query<{ status: JobStatus }>(`SELECT status FROM jobs.jobs WHERE id = $1 AND lease_token = $2`, [ref.job_id, ref.lease_token]);
    if (rows[0]?.status === JobStatus.CANCELLED) return { lease_expires_at: new Date().toISOString(), cancel_requested: true };
    throw leaseLost(ref.job_id);
  }

  async progress(rep: ProgressReport): Promise<LeaseState> {
    checkLease(rep);
    if (typeof rep.percentage !== 'number' || !Number.isFinite(rep.percentage) || rep.percentage < 0 || rep.percentage > 100) {
      throw badInput('percentage must be a number from 0 to 100');
    }
    if (typeof rep.current_stage !== 'string' || !KNOWN_STAGES.has(rep.current_stage)) throw badInput(`current_stage must be one of: ${[...KNOWN_STAGES].join(', ')}`);
    const stages = Array.isArray(rep.stages_completed) ? rep.stages_completed : [];
    if (stages.some((s) => typeof s !== 'string' || !KNOWN_STAGES.has(s))) throw badInput('stages_completed holds unknown stage names');
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow & { old_stage: string | null }>({
        name: 'job_progress',
        text: `WITH cur AS (SELECT id, progress->>'current_stage' AS old_stage, greatest(coalesce((progress->>'percentage')::float, 0), $3::float) AS pct FROM jobs.jobs
                            WHERE id = $1 AND lease_token = $2 AND status = 'processing' FOR UPDATE)
               UPDATE jobs.jobs t SET
                 progress = jsonb_build_object(
                   'percentage', round(cur.pct::numeric, 1),
                   'current_stage', $4::text,
                   'stages_completed', CASE WHEN jsonb_array_length($5::jsonb) >= jsonb_array_length(coalesce(t.progress->'stages_completed', '[]'))
                                            THEN $5::jsonb ELSE t.progress->'stages_completed' END,
                   'estimated_completion', to_char((CASE WHEN cur.pct >= 5
                        THEN now() + (now() - coalesce(t.started_at, now())) * ((100 - cur.pct) / cur.pct)
                        ELSE coalesce(t.started_at, now()) + make_interval(secs => $7) END) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                 lease_expires_at = now() + make_interval(secs => $6), updated_at = now(), event_seq = t.event_seq + 1
               FROM cur WHERE t.id = cur.id RETURNING t.*, cur.old_stage`,
        values: [rep.job_id, rep.lease_token, rep.percentage, rep.current_stage, JSON.stringify(stages), this.config.JOB_LEASE_SECONDS, this.estimates.durationSeconds(undefined)],
      });
      const row = rows[0];
      if (!row) return null;
      const msg = rep.message ? String(rep.message).slice(0, 1000) : `${row.progress.current_stage}: ${row.progress.percentage}%`;
      const type = row.old_stage !== row.progress.current_stage ? 'stage' : 'progress';
      const evs = [await this.events.record(c, row, type, type === 'stage' ? JobLogLevel.INFO : JobLogLevel.DEBUG, msg, rep.details && typeof rep.details === 'object' ? rep.details : undefined)];
      if (row.parent_job_id) evs.push(...(await this.batches.refresh(c, row.parent_job_id)));
      return { row, evs };
    }, { lockFamilyOf: rep.job_id });
    if (!out) return this.cancelledState(rep);
    this.events.publish(out.evs);
    return { lease_expires_at: (out.row.lease_expires_at ?? new Date()).toISOString(), cancel_requested: out.row.cancel_requested };
  }

  /** Exactly once: only the token holding the job completes it; a repeat by that same holder is answered again. */
  async complete(req: CompleteRequest): Promise<{ status: JobStatus }> {
    checkLease(req);
    const result = req.result && typeof req.result === 'object' && !Array.isArray(req.result) ? req.result : {};
    const stages = Array.isArray(req.stages_completed) ? req.stages_completed.filter((s) => typeof s === 'string' && KNOWN_STAGES.has(s)) : [];
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow>(
        `UPDATE jobs.jobs SET status = 'completed', result = $3, error = NULL, completed_at = now(), updated_at = now(), event_seq = event_seq + 1,
                lease_expires_at = NULL,
                progress = jsonb_build_object('percentage', 100, 'current_stage', 'completed', 'stages_completed', $4::jsonb,
                                              'processing_time_seconds', round(extract(epoch FROM now() - coalesce(started_at, now()))::numeric, 1))
         WHERE id = $1 AND lease_token = $2 AND status = 'processing' RETURNING *`,
        [req.job_id, req.lease_token, result, JSON.stringify(stages)],
      );
      const row = rows[0];
      if (!row) return null;
      const evs = [await this.events.record(c, row, 'status', JobLogLevel.INFO, `Completed by ${row.worker_id}`, result)];
      if (row.parent_job_id) evs.push(...(await this.batches.refresh(c, row.parent_job_id)));
      return { row, evs };
    }, { lockFamilyOf: req.job_id });
    if (!out) {
      const rows = await this.db.query<{ status: JobStatus }>(`SELECT status FROM jobs.jobs WHERE id = $1 AND lease_token = $2`, [req.job_id, req.lease_token]);
      if (rows[0]?.status === JobStatus.COMPLETED) return { status: JobStatus.COMPLETED };
      throw leaseLost(req.job_id);
    }
    this.events.publish(out.evs);
    this.finished(out.row);
    return { status: JobStatus.COMPLETED };
  }

  /** Retryable failures go back to the queue after an exponential, jittered wait; the others fail at once. */
  async fail(req: FailRequest): Promise<FailResponse> {
    checkLease(req);
    const code = typeof req.error_code === 'string' && req.error_code ? req.error_code.slice(0, 100) : 'RENDER_FAILED';
    const message = typeof req.error_message === 'string' && req.error_message ? req.error_message.slice(0, 2000) : 'The job failed';
    const out = await this.db.tx(async (c) => {
      const { rows: cur } = await c.query<JobRow>(`SELECT * FROM jobs.jobs WHERE id = $1 AND lease_token = $2 AND status = 'processing' FOR UPDATE`, [
        req.job_id,
        req.lease_token,
      ]);
      const job = cur[0];
      if (!job) return null;
      const error: JobError = { error_code: code, error_message: message, retry_count: job.retry_count, max_retries: job.max_retries };
      if (req.error_details && typeof req.error_details === 'object') error.error_details = req.error_details;
      const retry = req.retryable === true && job.retry_count < job.max_retries;
      const delayMs = retry ? this.backoffMs(job.retry_count) : 0;
      const { rows } = await c.query<JobRow>(
        retry
          ? `UPDATE jobs.jobs SET status = 'queued', error = $2, run_after = now() + make_interval(secs => $3), lease_token = NULL, lease_expires_at = NULL,
                    worker_id = NULL, updated_at = now(), event_seq = event_seq + 1 WHERE id = $1 RETURNING *`
          : `UPDATE jobs.jobs SET status = 'failed', error = $2, completed_at = now(), lease_expires_at = NULL, updated_at = now(), event_seq = event_seq + 1,
                    progress = progress - 'estimated_completion' || jsonb_build_object('processing_time_seconds', round(extract(epoch FROM now() - coalesce(started_at, now()))::numeric, 1))
             WHERE id = $1 AND $3::float >= 0 RETURNING *`,
        [job.id, error, delayMs / 1000],
      );
      const row = rows[0];
      const text = retry
        ? `Attempt ${job.retry_count} failed (${code}: ${message}); retrying in ${Math.round(delayMs / 100) / 10} s`
        : `Failed (${code}: ${message}) after ${job.retry_count} attempt(s)`;
      const evs = [await this.events.record(c, row, retry ? 'error' : 'status', retry ? JobLogLevel.WARNING : JobLogLevel.ERROR, text, req.error_details)];
      if (row.parent_job_id) evs.push(...(await this.batches.refresh(c, row.parent_job_id)));
      return { row, evs, retry };
    }, { lockFamilyOf: req.job_id });
    if (!out) throw leaseLost(req.job_id);
    this.events.publish(out.evs);
    if (out.retry) {
      this.wakeAt(out.row);
      return { status: JobStatus.QUEUED, next_attempt_at: out.row.run_after.toISOString() };
    }
    this.finished(out.row);
    return { status: JobStatus.FAILED };
  }

  /** Graceful hand-back on worker shutdown: queued again at once, the attempt not counted. */
  async release(ref: LeaseRef): Promise<{ ok: true }> {
    checkLease(ref);
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow>(
        `UPDATE jobs.jobs SET status = 'queued', lease_token = NULL, lease_expires_at = NULL, worker_id = NULL, run_after = now(),
                retry_count = greatest(retry_count - 1, 0), updated_at = now(), event_seq = event_seq + 1
         WHERE id = $1 AND lease_token = $2 AND status = 'processing' RETURNING *`,
        [ref.job_id, ref.lease_token],
      );
      const row = rows[0];
      if (!row) return null;
      const evs = [await this.events.record(c, row, 'status', JobLogLevel.INFO, 'Handed back by its worker; queued again')];
      if (row.parent_job_id) evs.push(...(await this.batches.refresh(c, row.parent_job_id)));
      return { row, evs };
    }, { lockFamilyOf: ref.job_id });
    if (!out) {
      const rows = await this.db.query<{ status: JobStatus }>(`SELECT status FROM jobs.jobs WHERE id = $1 AND lease_token = $2`, [ref.job_id, ref.lease_token]);
      if (rows[0]) return { ok: true };
      throw leaseLost(ref.job_id);
    }
    this.events.publish(out.evs);
    this.nats.publish(JobsEvents.queued, queuedEvent([out.row]));
    return { ok: true };
  }

  backoffMs(attempt: number): number {
    const base = this.config.JOB_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1);
    // Full jitter between half and one and a half of the step, so retries of many jobs spread out.
    return Math.min(this.config.JOB_RETRY_MAX_MS, Math.round(base * (0.5 + Math.random())));
  }

  /**
   * Jobs whose lease ran out: queued again, or failed past max_retries. One statement with
   * SKIP LOCKED, so several jobs replicas reap side by side without doing a job twice.
   */
  async reap(): Promise<number> {
    const out = await this.db.tx(async (c) => {
      const { rows } = await c.query<JobRow>({
        name: 'lease_reap',
        text: `WITH dead AS (SELECT id FROM jobs.jobs WHERE status = 'processing' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED)
               UPDATE jobs.jobs t SET
                 status = CASE WHEN t.retry_count >= t.max_retries THEN 'failed' ELSE 'queued' END,
                 error = CASE WHEN t.retry_count >= t.max_retries
                   THEN jsonb_build_object('error_code', 'WORKER_LOST', 'error_message', 'The worker stopped renewing its lease on every attempt',
                                           'retry_count', t.retry_count, 'max_retries', t.max_retries)
                   ELSE t.error END,
                 completed_at = CASE WHEN t.retry_count >= t.max_retries THEN now() ELSE NULL END,
                 lease_token = CASE WHEN t.retry_count >= t.max_retries THEN t.lease_token ELSE NULL END,
                 lease_expires_at = NULL, worker_id = NULL, run_after = now(), updated_at = now(), event_seq = t.event_seq + 1
               FROM dead WHERE t.id = dead.id RETURNING t.*`,
        values: [],
      });
      const evs: JobEvent[] = [];
      const later = new Set<string>();
      for (const row of rows) {
        const requeued = row.status === JobStatus.QUEUED;
        evs.push(
          await this.events.record(
            c,
            row,
            requeued ? 'status' : 'error',
            requeued ? JobLogLevel.WARNING : JobLogLevel.ERROR,
            requeued ? `Lease expired after attempt ${row.retry_count}; queued again` : `Lease expired on the last attempt (${row.retry_count}); failed`,
          ),
        );
        // The children were taken before their parents: a parent only if free, else after the commit.
        const parentEvs = row.parent_job_id && !later.has(row.parent_job_id) ? await this.batches.tryRefresh(c, row.parent_job_id) : [];
        if (parentEvs) evs.push(...parentEvs);
        else later.add(row.parent_job_id as string);
      }
      return { rows, evs, later };
    });
    this.events.publish(out.evs);
    await this.batches.refreshAfterCommit(out.later);
    for (const row of out.rows) {
      if (row.status === JobStatus.QUEUED) this.nats.publish(JobsEvents.queued, queuedEvent([row]));
      else this.finished(row);
    }
    return out.rows.length;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      while ((await this.reap()) === 100);
      // Retries whose wait ended since the last tick (another replica may have scheduled them); a
      // job that never waited (run_after = created_at) was announced when it was created. Planned
      // per tick: a generic plan cached while the table was small would scan it whole every tick.
      const now = new Date();
      const due = await this.db.query<{ id: string; priority: JobPriority }>(
        `SELECT id, priority FROM jobs.jobs WHERE status = 'queued' AND run_after > created_at AND run_after > $1 AND run_after <= $2 LIMIT 100`,
        [this.lastTick, now],
      );
      this.lastTick = now;
      const event = queuedEvent(due);
      if (event) this.nats.publish(JobsEvents.queued, event);
      if (Date.now() - this.lastEstimate > 10_000) {
        this.lastEstimate = Date.now();
        await this.estimates.refresh();
      }
    } catch (err) {
      this.logger.warn(`Scheduler tick failed: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private wakeAt(row: JobRow): void {
    const t = setTimeout(() => {
      this.wakeTimers.delete(t);
      this.nats.publish(JobsEvents.queued, queuedEvent([row]));
    }, Math.max(0, row.run_after.getTime() - Date.now()) + 5);
    t.unref();
    this.wakeTimers.add(t);
  }

  private finished(row: JobRow): void {
    this.metrics.counter(MetricNames.jobsFinished, 'Jobs that reached a final status', ['status', 'job_type']).inc({ status: row.status, job_type: row.job_type });
  }
}

