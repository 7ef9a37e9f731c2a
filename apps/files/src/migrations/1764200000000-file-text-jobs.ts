import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Text extraction runs as a `file_processing` job of the jobs service: the row remembers its job. */
export class FileTextJobs1764200000000 implements MigrationInterface {
  name = 'FileTextJobs1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE files.files ADD COLUMN text_job_id uuid`);
    // 'queued': waiting for its job to be created or claimed.
    await q.query(`ALTER TABLE files.files DROP CONSTRAINT files_text_status_check`);
    await q.query(`ALTER TABLE files.files ADD CONSTRAINT files_text_status_check CHECK (text_status IN ('none', 'queued', 'pending', 'processing', 'done', 'failed'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE files.files SET text_status = 'pending' WHERE text_status = 'queued'`);
    await q.query(`ALTER TABLE files.files DROP CONSTRAINT files_text_status_check`);
    await q.query(`ALTER TABLE files.files ADD CONSTRAINT files_text_status_check CHECK (text_status IN ('none', 'pending', 'processing', 'done', 'failed'))`);
    await q.query(`ALTER TABLE files.files DROP COLUMN text_job_id`);
  }
}
