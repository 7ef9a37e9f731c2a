import { Injectable, Logger } from '@nestjs/common';
import { JobPriority, JobStatus, VideoQuality } from '@vgp/contracts';
import { JobsDb } from './jobs.db.js';

/** Until jobs of a quality have been measured, a first guess of how long one takes. */
const FIRST_GUESS_SECONDS: Record<string, number> = {
  [VideoQuality.LOW]: 30,
  [VideoQuality.MEDIUM]: 60,
  [VideoQuality.HIGH]: 120,
  [VideoQuality.ULTRA]: 240,
};

export interface QueueFigures {
  queued: number;
  byPriority: Record<JobPriority, number>;
  processing: number;
  workers: number;
}

/**
 * Measured durations of finished jobs per quality and the queue's shape, refreshed in the
 * background so creates and progress reports estimate completion without a query of their own.
 */
@Injectable()
export class EstimatesService {
  private readonly logger = new Logger('Estimates');
  private durations = new Map<string, number>();
  private queue: QueueFigures = {
    queued: 0,
    byPriority: { [JobPriority.LOW]: 0, [JobPriority.NORMAL]: 0, [JobPriority.HIGH]: 0, [JobPriority.URGENT]: 0 },
    processing: 0,
    workers: 0,
  };

  constructor(private readonly db: JobsDb) {}

  /** Mean seconds of the last 50 completed jobs of this quality. */
  durationSeconds(quality: string | undefined): number {
    const q = quality ?? VideoQuality.MEDIUM;
    return this.durations.get(q) ?? FIRST_GUESS_SECONDS[q] ?? 60;
  }

  get figures(): QueueFigures {
    return this.queue;
  }

  /** When a job queued now should finish: the queue ahead shared by the workers, then its own run. */
  queuedEstimate(quality: string | undefined, now = Date.now()): string {
    const own = this.durationSeconds(quality);
    const workers = Math.max(1, this.queue.workers);
    const ahead = (this.queue.queued / workers) * own;
    return new Date(now + (ahead + own) * 1000).toISOString();
  }

  async refresh(): Promise<void> {
    try {
      const d = await this.db.query<{ quality: string; secs: number }>(
        `SELECT q.quality, (SELECT avg(secs)::float FROM (
             SELECT extract(epoch FROM completed_at - started_at) AS secs FROM jobs.jobs
             WHERE status = 'completed' AND job_type = 'video_generation' AND started_at IS NOT NULL
               AND configuration->>'quality' = q.quality AND completed_at > now() - interval '7 days'
             ORDER BY completed_at DESC LIMIT 50) t) AS secs
         FROM unnest(ARRAY['low', 'medium', 'high', 'ultra']) AS q(quality)`,
        [],
        'estimates_durations',
      );
      this.durations = new Map(d.filter((r) => r.secs !== null).map((r) => [r.quality, Math.max(1, r.secs)]));
      const q = await this.db.query<{ priority: JobPriority; status: JobStatus; n: number; workers: number }>(
        `SELECT priority, status, count(*)::int AS n, count(DISTINCT worker_id)::int AS workers FROM jobs.jobs
         WHERE status IN ('queued', 'processing') AND job_type <> 'batch_video_generation' GROUP BY priority, status`,
        [],
        'estimates_queue',
      );
      const figures: QueueFigures = {
        queued: 0,
        byPriority: { [JobPriority.LOW]: 0, [JobPriority.NORMAL]: 0, [JobPriority.HIGH]: 0, [JobPriority.URGENT]: 0 },
        processing: 0,
        workers: 0,
      };
      for (const r of q) {
        if (r.status === JobStatus.QUEUED) {
          figures.queued += r.n;
          figures.byPriority[r.priority] += r.n;
        } else {
          figures.processing += r.n;
          figures.workers += r.workers;
        }
      }
      this.queue = figures;
    } catch (err) {
      this.logger.warn(`Could not refresh estimates: ${(err as Error).message}`);
    }
  }
}
