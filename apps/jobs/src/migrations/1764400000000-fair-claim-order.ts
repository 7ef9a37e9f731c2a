import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair claims however long one user's queue: every job gets its place in its owner's queue when
 * it is created (`fair_rank`: 1 + the owner's jobs already queued or processing, then one more
 * per job of the same request), and claims take the queue by priority, then rank, then age. A
 * user's tenth job waits behind every other user's first, wherever they stand in time; before,
 * the claim looked at the 500 oldest queued jobs only, which one user's batches could fill.
 */
export class FairClaimOrder1764400000000 implements MigrationInterface {
  name = 'FairClaimOrder1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs.jobs ADD COLUMN fair_rank int NOT NULL DEFAULT 1`);
    await q.query(`CREATE INDEX jobs_claim_fair_idx ON jobs.jobs (priority_rank DESC, fair_rank, created_at, id) WHERE status = 'queued'`);
    await q.query(`DROP INDEX jobs.jobs_claim_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX jobs_claim_idx ON jobs.jobs (priority_rank DESC, created_at, id) WHERE status = 'queued'`);
    await q.query(`DROP INDEX jobs.jobs_claim_fair_idx`);
    await q.query(`ALTER TABLE jobs.jobs DROP COLUMN fair_rank`);
  }
}
