import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer index entries per stored job, for the same queries (index maintenance was the largest
 * part of PostgreSQL's time per create):
 * - one (user_id, created_at, id) index, with `is_deleted` included, serves both the owner's lists
 *   (index-only, deleted rows filtered in the index) and the daily quota count (deleted jobs
 *   count), where two indexes did;
 * - the retry-wake index holds only queued jobs that wait (run_after later than their creation):
 *   a new job is claimable at once and needs no wake-up;
 * - job logs are keyed by (job_id, id), their only access path, instead of a key on id plus an
 *   index on (job_id, id).
 */
export class LeanWriteIndexes1764300000000 implements MigrationInterface {
  name = 'LeanWriteIndexes1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX jobs_user_created_all_idx ON jobs.jobs (user_id, created_at, id) INCLUDE (is_deleted)`);
    await q.query(`DROP INDEX jobs.jobs_user_created_idx`);
    await q.query(`DROP INDEX jobs.jobs_user_day_idx`);
    await q.query(`CREATE INDEX jobs_retry_due_idx ON jobs.jobs (run_after) WHERE status = 'queued' AND run_after > created_at`);
    await q.query(`DROP INDEX jobs.jobs_run_after_idx`);
    await q.query(`ALTER TABLE jobs.job_logs DROP CONSTRAINT job_logs_pkey, ADD CONSTRAINT job_logs_pkey PRIMARY KEY (job_id, id)`);
    await q.query(`DROP INDEX jobs.job_logs_job_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX job_logs_job_idx ON jobs.job_logs (job_id, id)`);
    await q.query(`ALTER TABLE jobs.job_logs DROP CONSTRAINT job_logs_pkey, ADD CONSTRAINT job_logs_pkey PRIMARY KEY (id)`);
    await q.query(`CREATE INDEX jobs_run_after_idx ON jobs.jobs (run_after) WHERE status = 'queued'`);
    await q.query(`DROP INDEX jobs.jobs_retry_due_idx`);
    await q.query(`CREATE INDEX jobs_user_day_idx ON jobs.jobs (user_id, created_at)`);
    await q.query(`CREATE INDEX jobs_user_created_idx ON jobs.jobs (user_id, created_at DESC, id DESC) WHERE NOT is_deleted`);
    await q.query(`DROP INDEX jobs.jobs_user_created_all_idx`);
  }
}
