import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateVideos1764100000000 implements MigrationInterface {
  name = 'CreateVideos1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE videos.videos (
        id uuid PRIMARY KEY,
        job_id text NOT NULL,
        user_id text NOT NULL,
        filename text NOT NULL,
        original_filename text,
        file_path text NOT NULL,
        file_size bigint NOT NULL,
        file_hash text,
        duration_seconds double precision,
        width int,
        height int,
        resolution text,
        format text NOT NULL,
        status text NOT NULL DEFAULT 'processing',
        thumbnails jsonb NOT NULL DEFAULT '[]',
        subtitle_tracks jsonb NOT NULL DEFAULT '[]',
        title text,
        description text,
        tags text[] NOT NULL DEFAULT '{}',
        custom_metadata jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        is_public boolean NOT NULL DEFAULT false,
        download_count bigint NOT NULL DEFAULT 0,
        view_count bigint NOT NULL DEFAULT 0,
        is_deleted boolean NOT NULL DEFAULT false,
        deleted_at timestamptz,
        purged_at timestamptz,
        CONSTRAINT videos_job_unique UNIQUE (job_id),
        CONSTRAINT videos_status_check CHECK (status IN ('processing', 'ready', 'failed', 'deleted')),
        CONSTRAINT videos_format_check CHECK (format IN ('mp4', 'avi', 'mov', 'wmv', 'flv', 'webm')),
        CONSTRAINT videos_title_length CHECK (title IS NULL OR char_length(title) <= 200),
        CONSTRAINT videos_description_length CHECK (description IS NULL OR char_length(description) <= 1000),
        CONSTRAINT videos_tags_count CHECK (cardinality(tags) <= 10)
      )`);
    await q.query(`CREATE INDEX videos_user_created_idx ON videos.videos (user_id, created_at DESC, id DESC) WHERE NOT is_deleted`);
    await q.query(`CREATE INDEX videos_tags_idx ON videos.videos USING gin (tags)`);
    // The purge sweeper's work list: deleted, bytes still there.
    await q.query(`CREATE INDEX videos_purge_idx ON videos.videos (deleted_at) WHERE is_deleted AND purged_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE videos.videos`);
  }
}
