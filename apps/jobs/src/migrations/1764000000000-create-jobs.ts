import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1764000000000 implements MigrationInterface {
  name = 'CreateJobs1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs.jobs (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        job_type text NOT NULL,
        priority text NOT NULL,
        priority_rank smallint NOT NULL,
        configuration jsonb NOT NULL,
        status text NOT NULL,
        progress jsonb NOT NULL,
        error jsonb,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        batch_id uuid,
        parent_job_id uuid,
        is_deleted boolean NOT NULL DEFAULT false,
        deleted_at timestamptz,
        retry_count int NOT NULL DEFAULT 0,
        max_retries int NOT NULL DEFAULT 3,
        run_after timestamptz NOT NULL DEFAULT now(),
        lease_token uuid,
        lease_expires_at timestamptz,
        worker_id text,
        cancel_requested boolean NOT NULL DEFAULT false,
        idempotency_key text,
        request_hash text,
        CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
        CONSTRAINT jobs_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
        CONSTRAINT jobs_type_check CHECK (job_type IN ('video_generation', 'batch_video_generation', 'file_processing'))
      )`);
    await q.query(`CREATE INDEX jobs_user_created_idx ON jobs.jobs (user_id, created_at DESC, id DESC) WHERE NOT is_deleted`);
    // The claim order: priority, then age, over claimable rows only.
    await q.query(`CREATE INDEX jobs_claim_idx ON jobs.jobs (priority_rank DESC, created_at, id) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX jobs_lease_idx ON jobs.jobs (lease_expires_at) WHERE status = 'processing'`);
    await q.query(`CREATE INDEX jobs_batch_idx ON jobs.jobs (batch_id) WHERE batch_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs.jobs (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL AND parent_job_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE jobs.jobs`);
  }
}
