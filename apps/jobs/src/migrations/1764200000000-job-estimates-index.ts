import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Measured durations read the latest completed video jobs per quality without scanning the table. */
export class JobEstimatesIndex1764200000000 implements MigrationInterface {
  name = 'JobEstimatesIndex1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX jobs_completed_idx ON jobs.jobs (completed_at) WHERE status = 'completed' AND job_type = 'video_generation'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs.jobs_completed_idx`);
  }
}
