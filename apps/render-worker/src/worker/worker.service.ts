import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { JobsEvents, type ClaimedJob } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { RenderWorkerConfig } from '../render-worker.config.js';
import { JobRunner, type RunningJob } from './job-runner.service.js';
import { JobsClient } from './jobs.client.js';
import { LeaseKeeper, type AbortReason } from './lease-keeper.js';
import { RenderMetrics } from './render-metrics.js';
import { sweepRenderDirs } from './render-dirs.js';

/**
 * The claim loop: claims while it has free capacity (at start, on `jobs.v1.job.queued`, and by
 * polling as a fallback), keeps each job's lease, stops a job on `jobs.v1.job.cancelled`, and on
 * shutdown stops claiming and finishes or hands back its jobs within SHUTDOWN_TIMEOUT_MS.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RenderWorker');
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly active = new Map<string, { running: RunningJob; done: Promise<void> }>();
  private readonly subs: Array<ReturnType<NatsClient['subscribe']>> = [];
  private poll?: NodeJS.Timeout;
  private sweep?: NodeJS.Timeout;
  private claiming = false;
  private again = false;
  private stopping = false;
  private lastClaimError = 0;

  constructor(
    private readonly config: RenderWorkerConfig,
    private readonly nats: NatsClient,
    private readonly jobs: JobsClient,
    private readonly runner: JobRunner,
    private readonly metrics: RenderMetrics,
  ) {}

  onApplicationBootstrap(): void {
    // Every worker must hear every cancellation (no queue group): only the one running the job acts.
    this.subs.push(this.nats.subscribe<{ job_id: string }>(JobsEvents.cancelled, (e) => this.active.get(e?.job_id)?.running.abort('cancelled')));
    this.subs.push(this.nats.subscribe(JobsEvents.queued, () => void this.fill()));
    this.poll = setInterval(() => void this.fill(), this.config.CLAIM_POLL_INTERVAL_MS);
    this.poll.unref();
    void this.fill();
    void this.removeStaleDirs();
    this.sweep = setInterval(() => void this.removeStaleDirs(), 3600_000);
    this.sweep.unref();
  }

  /**
   * Working dirs left by killed renders (SIGKILL, OOM: frames, narration, a partial MP4), removed
   * at start and hourly (`sweepRenderDirs`); they were removed only when 6 hours old, and only at a
   * later start.
   */
  private async removeStaleDirs(): Promise<void> {
    try {
      const removed = await sweepRenderDirs(this.config.RENDER_TMP_DIR || tmpdir());
      if (removed.length) this.logger.log(`Removed ${removed.length} working dir(s) of killed renders: ${removed.join(', ')}`);
    } catch (err) {
      this.logger.warn(`Working dirs of killed renders not swept: ${(err as Error).message}`);
    }
  }

  /** Jobs running now (ids). */
  activeJobIds(): string[] {
    return [...this.active.keys()];
  }

  /** Claims until capacity is used or the queue is empty; concurrent calls coalesce. */
  async fill(): Promise<void> {
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    try {
      do {
        this.again = false;
        while (!this.stopping && this.active.size < this.config.RENDER_CONCURRENCY) {
          let job: ClaimedJob | null;
          try {
            job = await this.jobs.claim(this.workerId);
          } catch (err) {
            // The jobs service away: the poll tries again; say so at most once a minute.
            if (Date.now() - this.lastClaimError > 60_000) {
              this.lastClaimError = Date.now();
              this.logger.warn(`claim failed: ${(err as Error).message}`);
            }
            return;
          }
          if (!job) break;
          if (this.stopping) {
            await this.jobs.release({ job_id: job.job_id, lease_token: job.lease_token }).catch(() => undefined);
            break;
          }
          this.start(job);
        }
      } while (this.again && !this.stopping);
    } finally {
      this.claiming = false;
    }
  }

  private start(job: ClaimedJob): void {
    const controller = new AbortController();
    const running: RunningJob = {
      job,
      controller,
      abort: (reason: AbortReason) => {
        if (controller.signal.aborted) return;
        running.reason = reason;
        controller.abort(reason);
      },
    };
    const keeper = new LeaseKeeper(this.jobs, { job_id: job.job_id, lease_token: job.lease_token }, job.lease_expires_at, this.config.LEASE_RENEW_INTERVAL_MS, running.abort);
    keeper.start();
    this.metrics.activeJobs.inc();
    this.logger.log(`claimed job ${job.job_id} (attempt ${job.attempt}, ${job.configuration.quality} ${job.configuration.output_format})`);
    const done = this.runner
      .run(running)
      .catch((err: Error) => this.logger.error(`job ${job.job_id}: ${err.stack ?? err.message}`))
      .finally(() => {
        keeper.stop();
        this.metrics.activeJobs.dec();
        this.active.delete(job.job_id);
        if (!this.stopping) void this.fill();
      });
    this.active.set(job.job_id, { running, done });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.poll);
    clearInterval(this.sweep);
    for (const s of this.subs.splice(0)) s.unsubscribe();
    if (!this.active.size) return;
    // Finish what can finish in time; hand back the rest (release) so another worker takes it.
    const budget = Math.max(0, this.config.SHUTDOWN_TIMEOUT_MS - 2000);
    this.logger.log(`shutting down: waiting up to ${budget} ms for ${this.active.size} job(s)`);
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), budget)))]);
    clearTimeout(timer);
    if (timedOut) {
      for (const a of this.active.values()) a.running.abort('shutdown');
      await all;
    }
  }
}
