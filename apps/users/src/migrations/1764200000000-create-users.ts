import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1764200000000 implements MigrationInterface {
  name = 'CreateUsers1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users.users (
        id text PRIMARY KEY,
        username text,
        full_name text NOT NULL,
        email text,
        image_url text,
        email_verified boolean NOT NULL DEFAULT false,
        role text NOT NULL DEFAULT 'user',
        status text NOT NULL DEFAULT 'active',
        permissions text[] NOT NULL DEFAULT '{}',
        can_generate_videos boolean NOT NULL DEFAULT true,
        can_upload_files boolean NOT NULL DEFAULT true,
        can_access_premium_features boolean NOT NULL DEFAULT false,
        can_view_all_jobs boolean NOT NULL DEFAULT false,
        can_cancel_any_job boolean NOT NULL DEFAULT false,
        can_access_system_metrics boolean NOT NULL DEFAULT false,
        max_concurrent_jobs int NOT NULL DEFAULT 3,
        max_daily_jobs int NOT NULL DEFAULT 50,
        max_file_size_mb int NOT NULL DEFAULT 100,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_sign_in_at timestamptz,
        deleted_at timestamptz,
        -- Clerk's updated_at of the last webhook applied: an older delivery never overwrites a newer one.
        clerk_updated_at bigint,
        CONSTRAINT users_role_check CHECK (role IN ('user', 'moderator', 'admin')),
        CONSTRAINT users_status_check CHECK (status IN ('active', 'inactive', 'suspended', 'pending_verification')),
        CONSTRAINT users_max_concurrent_jobs_range CHECK (max_concurrent_jobs BETWEEN 1 AND 10),
        CONSTRAINT users_max_daily_jobs_range CHECK (max_daily_jobs BETWEEN 1 AND 1000),
        CONSTRAINT users_max_file_size_mb_range CHECK (max_file_size_mb BETWEEN 1 AND 500)
      )`);
    await q.query(`CREATE INDEX users_created_idx ON users.users (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX users_role_status_idx ON users.users (role, status)`);
    // Shared rate-limit windows of every gateway replica: counters that are useless after their
    // window, so unlogged (no WAL) and swept regularly.
    await q.query(`
      CREATE UNLOGGED TABLE users.rate_limit_windows (
        key text NOT NULL,
        window_start bigint NOT NULL,
        used int NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (key, window_start)
      )`);
    await q.query(`CREATE INDEX rate_limit_windows_expires_idx ON users.rate_limit_windows (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE users.rate_limit_windows`);
    await q.query(`DROP TABLE users.users`);
  }
}
