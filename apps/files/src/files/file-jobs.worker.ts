import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import {
  type ClaimedJob,
  type ClaimResponse,
  JobsEvents,
  JobsSubjects,
  JobType,
  type LeaseRef,
  type LeaseState,
  PipelineStage,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FilesConfig } from '../files.config.js';
import { ClaimLostError, TextIndexer } from './text-indexer.service.js';

/** How often a job whose file another run is extracting looks again (and renews its lease). */
const BUSY_POLL_MS = 1000;

/**
 * Runs the `file_processing` jobs of the jobs service: claims them (leases, retries and the
 * user's job list come with it), extracts the file's text into passages, and completes or fails
 * the job. Claims on start, on every `jobs.v1.job.queued`, and every `FILES_JOB_POLL_MS`.
 */
@Injectable()
export class FileJobsWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FileJobs');
  private readonly workerId = `files-${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  private active = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private sub?: Subscription;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly nats: NatsClient,
    private readonly indexer: TextIndexer,
    private readonly config: FilesConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.nats.subscribe(JobsEvents.queued, () => this.wake());
    this.timer = setInterval(() => this.wake(), this.config.FILES_JOB_POLL_MS);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.sub?.unsubscribe();
    await Promise.allSettled([...this.running]);
  }

  wake(): void {
    while (!this.stopped && this.active < this.config.FILES_TEXT_CONCURRENCY) {
      this.active++;
      const p = this.loop().finally(() => {
        this.active--;
        this.running.delete(p);
      });
      this.running.add(p);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let job: ClaimedJob | null;
      try {
        job = (await this.nats.request<ClaimResponse>(JobsSubjects.claim, { worker_id: this.workerId, job_types: [JobType.FILE_PROCESSING] }, { timeoutMs: 5000 })).job;
      } catch {
        // The jobs service is away: the poll tries again.
        return;
      }
      if (!job) return;
      await this.run(job);
    }
  }

  /** Runs one claimed job to its end (completed, failed, or left to its cancellation). Public for tests. */
  async run(job: ClaimedJob): Promise<void> {
    const ref: LeaseRef = { job_id: job.job_id, lease_token: job.lease_token };
    // Long PDFs may outlast a lease: keep it.
    const keep = setInterval(() => void this.nats.request(JobsSubjects.renew, ref).catch(() => undefined), 10_000);
    try {
      await this.process(job, ref);
    } catch (err) {
      this.logger.warn(`file_processing job ${job.job_id} failed: ${(err as Error).message}`);
      await this.nats
        .request(JobsSubjects.fail, { ...ref, error_code: 'TEXT_EXTRACTION_FAILED', error_message: 'The text of the document could not be extracted', retryable: false })
        .catch(() => undefined);
    } finally {
      clearInterval(keep);
    }
  }

  private async process(job: ClaimedJob, ref: LeaseRef): Promise<void> {
    const fileId: unknown = job.configuration?.custom_config?.file_id;
    const notFound = () => this.nats.request(JobsSubjects.fail, { ...ref, error_code: 'FILE_NOT_FOUND', error_message: 'The file no longer exists', retryable: false });
    if (typeof fileId !== 'string') return void (await notFound());
    for (;;) {
      const found = await this.indexer.claimFile(fileId, job.job_id, job.user_id);
      if (found.state === 'gone') return void (await notFound());
      if (found.state === 'finished') {
        // Another run (the fallback indexer, when this job's creation looked lost) did the work.
        if (found.status === 'done') {
          const result = { file_id: fileId, text_chunks: Number(found.metadata.text_chunks ?? 0), text_characters: Number(found.metadata.text_characters ?? 0) };
          await this.nats.request(JobsSubjects.complete, { ...ref, result, stages_completed: [PipelineStage.CONTENT_ANALYSIS] });
        } else {
          const message = found.status === 'none' ? 'The file holds no text to extract' : 'The text of the document could not be extracted';
          await this.nats.request(JobsSubjects.fail, { ...ref, error_code: 'TEXT_EXTRACTION_FAILED', error_message: message, retryable: false });
        }
        return;
      }
      if (found.state === 'busy') {
        // Another run is extracting it: its result will be this job's. Cancelled, or shutting
        // down (the lease runs out and the job is claimed again), the other run carries on.
        const state = await this.nats.request<LeaseState>(JobsSubjects.renew, ref);
        if (state.cancel_requested || this.stopped) return;
        await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
        continue;
      }
      const row = found.file;
      let state: LeaseState;
      try {
        state = await this.nats.request<LeaseState>(JobsSubjects.progress, {
          ...ref,
          percentage: 10,
          current_stage: PipelineStage.CONTENT_ANALYSIS,
          stages_completed: [],
          message: 'Extracting the text of the document',
        });
      } catch (err) {
        // The job is not this worker's any more: the file waits for whoever has it.
        await this.indexer.release(row, 'queued').catch(() => undefined);
        throw err;
      }
      if (state.cancel_requested) {
        // Cancelled before its text was read: the file says so instead of staying pending.
        await this.indexer.release(row, 'failed', 'cancelled');
        return;
      }
      let result: { text_chunks: number; text_characters: number };
      try {
        result = await this.indexer.extract(row);
      } catch (err) {
        // Taken over (this run looked dead) or deleted: see what became of the file.
        if (err instanceof ClaimLostError) continue;
        throw err;
      }
      await this.nats.request(JobsSubjects.complete, { ...ref, result: { file_id: row.id, ...result }, stages_completed: [PipelineStage.CONTENT_ANALYSIS] });
      return;
    }
  }
}
