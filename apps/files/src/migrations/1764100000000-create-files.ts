import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFiles1764100000000 implements MigrationInterface {
  name = 'CreateFiles1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE files.files (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        filename text NOT NULL,
        original_filename text NOT NULL,
        file_type text NOT NULL,
        mime_type text NOT NULL,
        file_size bigint NOT NULL,
        checksum text NOT NULL,
        storage_key text NOT NULL,
        description text,
        subdirectory text,
        tags text[] NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        text_status text NOT NULL DEFAULT 'none',
        text_claimed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT files_type_check CHECK (file_type IN ('image', 'video', 'audio', 'document', 'archive')),
        CONSTRAINT files_text_status_check CHECK (text_status IN ('none', 'pending', 'processing', 'done', 'failed')),
        CONSTRAINT files_tags_count CHECK (cardinality(tags) <= 10)
      )`);
    await q.query(`CREATE INDEX files_user_created_idx ON files.files (user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX files_text_pending_idx ON files.files (created_at) WHERE text_status IN ('pending', 'processing')`);
    // Extracted text in passages, searchable with PostgreSQL full-text search (retrieval for use_rag).
    await q.query(`
      CREATE TABLE files.file_chunks (
        file_id uuid NOT NULL REFERENCES files.files (id) ON DELETE CASCADE,
        chunk_index int NOT NULL,
        user_id text NOT NULL,
        content text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
        PRIMARY KEY (file_id, chunk_index)
      )`);
    await q.query(`CREATE INDEX file_chunks_tsv_idx ON files.file_chunks USING gin (tsv)`);
    await q.query(`CREATE INDEX file_chunks_user_idx ON files.file_chunks (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE files.file_chunks`);
    await q.query(`DROP TABLE files.files`);
  }
}
