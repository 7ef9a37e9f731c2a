import { Injectable } from '@nestjs/common';
import { MetricNames, MetricsService } from '@vgp/observability';
import type { Counter } from 'prom-client';
import { JobPriority } from '@vgp/contracts';
import type { JobRow } from './job-row.js';
import { JobsDb } from './jobs.db.js';

interface QueueFigures {
  byPriority: Record<string, number>;
  stuck: number;
}

/** Job counters and queue gauges; the gauges read the queue once per scrape. */
@Injectable()
export class JobsMetrics {
  private readonly created: Counter<'job_type' | 'priority'>;
  private snapshot?: { at: number; value: Promise<QueueFigures | undefined> };

  constructor(
    metrics: MetricsService,
    private readonly db: JobsDb,
  ) {
    this.created = metrics.counter(MetricNames.jobsCreated, 'Jobs accepted (durable in PostgreSQL), by type and priority', ['job_type', 'priority']);
    // Both gauges are collected in the same scrape: one set of queries serves them. Without the
    // database the queue depth is left out (and `jobs_stuck`, which has no labels, reads 0): a
    // failed collect failed the whole scrape (prom-client gathers them with Promise.all), and the
    // service's every other series with it.
    const stats = () => {
      if (!this.snapshot || Date.now() - this.snapshot.at > 1000) this.snapshot = { at: Date.now(), value: this.queue().catch(() => undefined) };
      return this.snapshot.value;
    };
    metrics.gauge(MetricNames.jobsQueueDepth, 'Jobs waiting to be claimed, by priority', ['priority'], async function () {
      const s = await stats();
      if (!s) return this.reset();
      for (const [priority, n] of Object.entries(s.byPriority)) this.set({ priority }, n);
    });
    metrics.gauge(MetricNames.jobsStuck, 'Processing jobs whose lease has expired and not yet been reclaimed', [], async function () {
      const s = await stats();
      if (!s) return this.reset();
      this.set(s.stuck);
    });
  }

  private async queue(): Promise<QueueFigures> {
    const rows = await this.db.query<{ priority: string; queued: number; stuck: number }>(
      `SELECT priority, count(*) FILTER (WHERE status = 'queued')::int AS queued,
              count(*) FILTER (WHERE status = 'processing' AND lease_expires_at < now())::int AS stuck
       FROM jobs.jobs WHERE status IN ('queued', 'processing') AND job_type <> 'batch_video_generation' GROUP BY priority`,
    );
    const byPriority: Record<string, number> = Object.fromEntries(Object.values(JobPriority).map((p) => [p, 0]));
    let stuck = 0;
    for (const r of rows) {
      byPriority[r.priority] = r.queued;
      stuck += r.stuck;
    }
    return { byPriority, stuck };
  }

  /** Jobs just committed. */
  recordCreated(rows: Pick<JobRow, 'job_type' | 'priority'>[]): void {
    for (const r of rows) this.created.inc({ job_type: r.job_type, priority: r.priority });
  }
}
