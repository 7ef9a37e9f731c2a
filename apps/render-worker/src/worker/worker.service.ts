import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { JobsEvents, type ClaimedJob } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RenderWorkerConfig } from '../render-worker.config.js';
import { JobRunner, type RunningJob } from './job-runner.service.js';
import { JobsClient } from './jobs.client.js';
import { LeaseKeeper, type AbortReason } from './lease-keeper.js';
import { RenderMetrics } from './render-metrics.js';

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
  }

  /** Working dirs left by a worker that was killed (SIGKILL, OOM): older than 6 hours, removed. */
  private async removeStaleDirs(): Promise<void> {
    const base = this.config.RENDER_TMP_DIR || tmpdir();
    const names = await readdir(base).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith('vgp-render-'))) {
      const path = join(base, name);
      const s = await stat(path).catch(() => null);
      if (s?.isDirectory() && Date.now() - s.mtimeMs > 6 * 3600_000) await rm(path, { recursive: true, force: true }).catch(() => undefined);
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
