import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job ids are UUIDs, matched and stored in lower case from now on (`job_id` is text, the jobs
 * service's column is uuid and reads any case). A UUID recorded in upper case before is lowered so
 * the lookups still find it; one whose lower-case twin is recorded too is left as it is (the
 * unique constraint would refuse it, and the lookups find the twin).
 */
export class LowercaseJobIds1764200000000 implements MigrationInterface {
  name = 'LowercaseJobIds1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE videos.videos v SET job_id = lower(v.job_id)
       WHERE v.job_id <> lower(v.job_id)
         AND v.job_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
         AND NOT EXISTS (SELECT 1 FROM videos.videos t WHERE t.job_id = lower(v.job_id))`);
  }

  async down(): Promise<void> {
    // The original case is not kept: nothing to undo.
  }
}
