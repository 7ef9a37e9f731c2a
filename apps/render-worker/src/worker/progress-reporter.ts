import { AppError, ExtraErrorCode, type LeaseRef } from '@vgp/contracts';
import type { StageProgress } from '../pipeline/render-pipeline.js';
import type { JobsClient } from './jobs.client.js';

/**
 * Sends a job's progress: at most one report per `throttleMs` (a new stage always goes out),
 * percentages never going back, one request in flight, the latest report wins.
 */
export class ProgressReporter {
  private last = 0;
  private lastStage = '';
  private maxPct = 0;
  private inFlight: Promise<void> | null = null;
  private queued: StageProgress | null = null;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobsClient,
    private readonly ref: LeaseRef,
    private readonly throttleMs: number,
    private readonly onStop: (reason: 'lease_lost' | 'cancelled') => void,
  ) {}

  report(p: StageProgress): void {
    if (this.closed) return;
    const now = Date.now();
    const newStage = p.stage !== this.lastStage;
    if (!newStage && now - this.last < this.throttleMs && p.percentage < 100) {
      this.queued = p;
      if (!this.timer && !this.inFlight) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, this.throttleMs - (now - this.last));
        this.timer.unref();
      }
      return;
    }
    this.queued = p;
    this.flush();
  }

  private flush(): void {
    if (this.inFlight || !this.queued || this.closed) return;
    const p = this.queued;
    this.queued = null;
    this.last = Date.now();
    this.lastStage = p.stage;
    this.maxPct = Math.max(this.maxPct, p.percentage);
    this.inFlight = this.jobs
      .progress({ ...this.ref, percentage: this.maxPct, current_stage: p.stage, stages_completed: p.stagesCompleted, message: p.message, details: p.details })
      .then((state) => {
        if (state?.cancel_requested) this.onStop('cancelled');
      })
      .catch((err) => {
        if (err instanceof AppError && (err.code === ExtraErrorCode.LEASE_LOST || err.status === 409)) this.onStop('lease_lost');
      })
      .finally(() => {
        this.inFlight = null;
        // A throttled report waiting: send it once its time has come.
        if (this.queued && !this.closed) {
          const wait = Math.max(0, this.throttleMs - (Date.now() - this.last));
          setTimeout(() => this.flush(), wait).unref();
        }
      });
  }

  /**
   * Stops reporting. With `flush`, the latest throttled report still goes out first (a failing
   * job's stages_completed and current_stage must reach the jobs service before the fail call).
   */
  async close(flush = true): Promise<void> {
    clearTimeout(this.timer);
    await this.inFlight;
    if (flush && this.queued && !this.closed) {
      this.flush();
      await this.inFlight;
    }
    this.closed = true;
    clearTimeout(this.timer);
  }
}
