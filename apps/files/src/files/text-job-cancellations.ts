import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { type JobCancelledEvent, JobsEvents, JobType } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { TextIndexer } from './text-indexer.service.js';

/**
 * A `file_processing` job cancelled (or deleted) while queued is never claimed, so no run ever
 * tells its file: without this the file said "pending" forever. One cancelled while running is
 * told through its lease (`FileJobsWorker`).
 */
@Injectable()
export class TextJobCancellations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TextJobCancellations');
  private sub?: Subscription;

  constructor(
    private readonly nats: NatsClient,
    private readonly indexer: TextIndexer,
  ) {}

  onApplicationBootstrap(): void {
    // A queue group: one replica updates the file.
    this.sub = this.nats.subscribe<JobCancelledEvent>(
      JobsEvents.cancelled,
      (e) => {
        if (e?.job_type !== JobType.FILE_PROCESSING || e.was !== 'queued' || typeof e.job_id !== 'string') return;
        this.indexer.jobCancelled(e.job_id).catch((err: Error) => this.logger.warn(`The file of cancelled job ${e.job_id} was not updated: ${err.message}`));
      },
      { queue: 'files-text-cancellations' },
    );
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }
}
