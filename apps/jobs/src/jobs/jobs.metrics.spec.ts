import { describe, expect, it } from '@jest/globals';
import { MetricNames, MetricsService } from '@vgp/observability';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { JobsDb } from './jobs.db.js';
import { JobsMetrics } from './jobs.metrics.js';

describe('JobsMetrics', () => {
  it('leaves the queue gauges out while PostgreSQL cannot be reached, and the scrape still answers', async () => {
    // A real pool, pointed where nothing listens: every query fails as it would in an outage.
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 });
    const metrics = new MetricsService({ service: 'jobs', version: 'test' });
    const db = new JobsDb({ driver: { master: pool } } as unknown as DataSource, metrics);
    new JobsMetrics(metrics, db);
    try {
      const { body } = await metrics.render();
      expect(body).toContain('process_cpu_seconds_total');
      expect(body).not.toMatch(new RegExp(`^${MetricNames.jobsQueueDepth}\\{`, 'm'));
      // A gauge without labels always has its one series: it reads 0 until the database answers.
      expect(body).toMatch(new RegExp(`^${MetricNames.jobsStuck}\\{[^}]*\\} 0$`, 'm'));
    } finally {
      await pool.end();
    }
  });
});
