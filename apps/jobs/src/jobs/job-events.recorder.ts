import { Injectable } from '@nestjs/common';
import { type JobEvent, type JobLogLevel, JobsEvents } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { type JobEventType, type JobRow, toEvent } from './job-row.js';
import type { Queryable } from './jobs.db.js';
import { ListCountCache } from './list-count.cache.js';

/**
 * Every change of a job is stored twice in the transaction that made it: as an event (with the
 * row's `event_seq`, for SSE resumption) and as a log line. Published only after the commit.
 */
@Injectable()
export class JobEventsRecorder {
  constructor(
    private readonly nats: NatsClient,
    private readonly counts: ListCountCache,
  ) {}

  async record(
    c: Queryable,
    row: JobRow,
    type: JobEventType,
    level: JobLogLevel,
    message: string,
    details?: Record<string, any>,
  ): Promise<JobEvent> {
    const ev = toEvent(row, type, message);
    await c.query({
      name: 'job_event_insert',
      text: `WITH e AS (INSERT INTO jobs.job_events (job_id, seq, payload) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING)
             INSERT INTO jobs.job_logs (job_id, level, message, details) VALUES ($1, $4, $5, $6)`,
      values: [row.id, row.event_seq, ev, level, message, details ?? null],
    });
    return ev;
  }

  publish(events: JobEvent[]): void {
    for (const ev of events) {
      this.counts.bump(ev.user_id);
      this.nats.publish(JobsEvents.updated, ev);
    }
  }
}
