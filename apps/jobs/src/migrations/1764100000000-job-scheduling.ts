import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Job log, stored events (SSE resumption), event sequence, and the indexes of lists, quotas and the claim. */
export class JobScheduling1764100000000 implements MigrationInterface {
  name = 'JobScheduling1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs.jobs ADD COLUMN event_seq int NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE jobs.job_logs (
        id bigserial PRIMARY KEY,
        job_id uuid NOT NULL,
        level text NOT NULL,
        message text NOT NULL,
        details jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT job_logs_level_check CHECK (level IN ('debug', 'info', 'warning', 'error'))
      )`);
    await q.query(`CREATE INDEX job_logs_job_idx ON jobs.job_logs (job_id, id)`);
    await q.query(`
      CREATE TABLE jobs.job_events (
        job_id uuid NOT NULL,
        seq int NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, seq)
      )`);
    // Quotas: active top-level jobs per user, and jobs created per user and day (deleted ones too).
    await q.query(`CREATE INDEX jobs_user_active_idx ON jobs.jobs (user_id) WHERE status IN ('queued', 'processing') AND parent_job_id IS NULL`);
    await q.query(`CREATE INDEX jobs_user_day_idx ON jobs.jobs (user_id, created_at)`);
    // Fairness in the claim: processing jobs per user.
    await q.query(`CREATE INDEX jobs_user_processing_idx ON jobs.jobs (user_id) WHERE status = 'processing'`);
    // Lists: the common filters and sort orders, keyed by owner; admins' "all" lists by time.
    await q.query(`CREATE INDEX jobs_user_status_created_idx ON jobs.jobs (user_id, status, created_at, id) WHERE NOT is_deleted`);
    await q.query(`CREATE INDEX jobs_user_updated_idx ON jobs.jobs (user_id, updated_at, id) WHERE NOT is_deleted`);
    await q.query(`CREATE INDEX jobs_all_created_idx ON jobs.jobs (created_at, id) WHERE NOT is_deleted`);
    await q.query(`CREATE INDEX jobs_parent_idx ON jobs.jobs (parent_job_id) WHERE parent_job_id IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_run_after_idx ON jobs.jobs (run_after) WHERE status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const idx of [
      'jobs_user_active_idx',
      'jobs_user_day_idx',
      'jobs_user_processing_idx',
      'jobs_user_status_created_idx',
      'jobs_user_updated_idx',
      'jobs_all_created_idx',
      'jobs_parent_idx',
      'jobs_run_after_idx',
    ])
      await q.query(`DROP INDEX jobs.${idx}`);
    await q.query(`DROP TABLE jobs.job_events`);
    await q.query(`DROP TABLE jobs.job_logs`);
    await q.query(`ALTER TABLE jobs.jobs DROP COLUMN event_seq`);
  }
}
