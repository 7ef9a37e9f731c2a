import { AppError, ExtraErrorCode, type LeaseRef } from '@vgp/contracts';
import type { JobsClient } from './jobs.client.js';

export type AbortReason = 'cancelled' | 'lease_lost' | 'shutdown';

/**
 * Renews a job's lease every `intervalMs` (well within the 30 s lease). A lost lease (409
 * `LEASE_LOST`), a cancelled job, or a lease that ran out while NATS was away aborts the job.
 */
export class LeaseKeeper {
  private timer?: NodeJS.Timeout;
  private expiresAt: number;
  private busy = false;

  constructor(
    private readonly jobs: JobsClient,
    private readonly ref: LeaseRef,
    leaseExpiresAt: string,
    private readonly intervalMs: number,
    private readonly abort: (reason: AbortReason) => void,
  ) {
    this.expiresAt = Date.parse(leaseExpiresAt) || Date.now() + 30_000;
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async renew(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const state = await this.jobs.renew(this.ref);
      this.expiresAt = Date.parse(state.lease_expires_at) || this.expiresAt;
      if (state.cancel_requested) this.abort('cancelled');
    } catch (err) {
      if (err instanceof AppError && (err.code === ExtraErrorCode.LEASE_LOST || err.status === 409 || err.status === 404)) this.abort('lease_lost');
      // Unavailable: keep rendering while the lease still holds; past it, another worker may have the job.
      else if (Date.now() > this.expiresAt) this.abort('lease_lost');
    } finally {
      this.busy = false;
    }
  }
}
