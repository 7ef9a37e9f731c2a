import { Injectable, Logger } from '@nestjs/common';
import { type JobEvent, JobLogLevel, JobStatus, STAGE_COMPLETED } from '@vgp/contracts';
import { JobEventsRecorder } from './job-events.recorder.js';
import type { JobRow } from './job-row.js';
import { JobsDb, type Queryable } from './jobs.db.js';

interface ChildTally {
  total: number;
  queued: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
  pct: number;
  failed_ids: Array<{ job_id: string; error_code: string | null }>;
  completed_ids: string[];
  cancelled_ids: string[];
  /** When the last unfinished child is expected to finish. */
  eta: Date | null;
}

/** A batch parent mirrors its children: their mean progress, and it finishes when they all have. */
@Injectable()
export class BatchProgressService {
  private readonly logger = new Logger('BatchProgress');

  constructor(
    private readonly events: JobEventsRecorder,
    private readonly db: JobsDb,
  ) {}

  /**
   * Call in the transaction that changed a child, which locked the parent before the child
   * (`JobsDb.tx`'s `lockFamilyOf`): the lock taken here is then already held.
   */
  async refresh(c: Queryable, parentId: string): Promise<JobEvent[]> {
    return (await this.update(c, parentId, false)) ?? [];
  }

  /**
   * For a transaction that took a child without its parent (a claim, the reaper: SKIP LOCKED):
   * refreshes the parent if nobody holds it, or answers null without waiting (waiting on a parent
   * while holding a child could close a circle with a transaction holding the parent and waiting
   * on the child); the caller then refreshes it with `refreshAfterCommit`.
   */
  tryRefresh(c: Queryable, parentId: string): Promise<JobEvent[] | null> {
    return this.update(c, parentId, true);
  }

  /** Refreshes these parents each in a transaction of its own, holding nothing else; never throws. */
  async refreshAfterCommit(parentIds: Iterable<string>): Promise<void> {
    for (const parentId of new Set(parentIds)) {
      try {
        this.events.publish(await this.db.tx((c) => this.refresh(c, parentId)));
      } catch (err) {
        // The next change of any of its children refreshes it again.
        this.logger.warn(`Could not refresh batch ${parentId}: ${(err as Error).message}`);
      }
    }
  }

  private async update(c: Queryable, parentId: string, ifFree: boolean): Promise<JobEvent[] | null> {
    const { rows: parents } = await c.query<JobRow>(`SELECT * FROM jobs.jobs WHERE id = $1 FOR UPDATE${ifFree ? ' SKIP LOCKED' : ''}`, [parentId]);
    const parent = parents[0];
    if (!parent) return ifFree ? null : [];
    if ([JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED].includes(parent.status)) return [];
    const { rows } = await c.query<ChildTally>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE status = 'queued')::int AS queued,
              count(*) FILTER (WHERE status = 'processing')::int AS processing,
              count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
              coalesce(avg(CASE WHEN status = 'completed' THEN 100 ELSE (progress->>'percentage')::float END), 0)::float AS pct,
              coalesce(jsonb_agg(jsonb_build_object('job_id', id, 'error_code', error->>'error_code')) FILTER (WHERE status = 'failed'), '[]') AS failed_ids,
              coalesce(jsonb_agg(id) FILTER (WHERE status = 'completed'), '[]') AS completed_ids,
              coalesce(jsonb_agg(id) FILTER (WHERE status = 'cancelled'), '[]') AS cancelled_ids,
              max((progress->>'estimated_completion')::timestamptz) FILTER (WHERE status IN ('queued', 'processing')) AS eta
       FROM jobs.jobs WHERE parent_job_id = $1`,
      [parentId],
    );
    const t = rows[0];
    const done = t.completed + t.failed + t.cancelled;
    let status: JobStatus;
    if (done < t.total) status = t.processing || done ? JobStatus.PROCESSING : JobStatus.QUEUED;
    else if (t.completed) status = JobStatus.COMPLETED;
    else if (t.failed) status = JobStatus.FAILED;
    else status = JobStatus.CANCELLED;
    const pct = Math.round(t.pct * 10) / 10;
    const finished = status !== JobStatus.QUEUED && status !== JobStatus.PROCESSING;
    // The batch ends with its last child: the latest estimate of the children still under way.
    const eta = finished ? null : (t.eta?.toISOString() ?? null);
    if (status === parent.status && pct === Number(parent.progress.percentage ?? 0) && eta === (parent.progress.estimated_completion ?? null)) return [];
    const result = finished
      ? { children: t.total, completed: t.completed_ids, failed: t.failed_ids, cancelled: t.cancelled_ids }
      : null;
    const error =
      status === JobStatus.FAILED
        ? { error_code: 'BATCH_FAILED', error_message: 'Every job of the batch failed', error_details: { failed: t.failed_ids }, retry_count: 0, max_retries: 0 }
        : null;
    const progress = {
      percentage: status === JobStatus.COMPLETED ? 100 : pct,
      current_stage: status === JobStatus.COMPLETED ? STAGE_COMPLETED : null,
      stages_completed: [],
      estimated_completion: eta,
    };
    const { rows: updated } = await c.query<JobRow>(
      `UPDATE jobs.jobs SET status = $2, progress = $3, result = $4, error = $5, updated_at = now(), event_seq = event_seq + 1,
              started_at = CASE WHEN $2 <> 'queued' THEN coalesce(started_at, now()) ELSE started_at END,
              completed_at = CASE WHEN $6 THEN now() ELSE NULL END
       WHERE id = $1 RETURNING *`,
      [parentId, status, progress, result, error, finished],
    );
    const row = updated[0];
    const statusChanged = status !== parent.status;
    const message = statusChanged
      ? `Batch ${status}: ${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled of ${t.total}`
      : `Batch progress ${pct}% (${done}/${t.total} finished)`;
    return [await this.events.record(c, row, statusChanged ? 'status' : 'progress', statusChanged ? JobLogLevel.INFO : JobLogLevel.DEBUG, message)];
  }
}
