import { AppError, ExtraErrorCode, type LeaseRef } from '@vgp/contracts';
import type { StageProgress } from '../pipeline/render-pipeline.js';
import type { JobsClient } from './jobs.client.js';

interface Pending {
  p: StageProgress;
  /** The first report of a stage: never dropped (the jobs service logs it). */
  stageStart: boolean;
}

/**
 * Sends a job's progress: one request in flight, at most one report per `throttleMs` within a
 * stage (the latest wins), every stage's first report kept, percentages never going back.
 */
export class ProgressReporter {
  private last = 0;
  private lastStage = '';
  private maxPct = 0;
  private inFlight: Promise<void> | null = null;
  private readonly pending: Pending[] = [];
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
    const queuedStage = this.pending.length ? this.pending[this.pending.length - 1].p.stage : this.lastStage;
    const stageStart = p.stage !== queuedStage;
    const tail = this.pending[this.pending.length - 1];
    if (tail && !tail.stageStart && tail.p.stage === p.stage) this.pending[this.pending.length - 1] = { p, stageStart: false };
    else this.pending.push({ p, stageStart });
    this.schedule();
  }

  private schedule(): void {
    if (this.inFlight || this.timer || !this.pending.length || this.closed) return;
    const wait = this.pending[0].stageStart ? 0 : Math.max(0, this.throttleMs - (Date.now() - this.last));
    if (wait === 0) return this.send();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
    this.timer.unref();
  }

  private send(): void {
    const next = this.pending.shift();
    if (!next) return;
    const p = next.p;
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
        this.schedule();
      });
  }

  /**
   * Stops reporting. With `flush`, what is still queued goes out first (a failing job's
   * stages_completed and current_stage must reach the jobs service before the fail call).
   */
  async close(flush = true): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (flush) {
      // Stage starts and the latest report; intermediate ones are not worth the wait.
      const keep = this.pending.filter((x, i) => x.stageStart || i === this.pending.length - 1);
      this.pending.length = 0;
      for (const x of keep) {
        this.pending.push(x);
        this.send();
        await this.inFlight;
      }
    }
    this.closed = true;
    this.pending.length = 0;
  }
}
