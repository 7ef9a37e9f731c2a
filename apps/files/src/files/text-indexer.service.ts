import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { returned } from '@vgp/persistence';
import { BLOB_STORAGE, type BlobStorage, withLocalFile } from '@vgp/storage';
import type { DataSource } from 'typeorm';
import { FilesConfig } from '../files.config.js';
import { chunkText, extractText } from './text-extract.js';

export interface Claimed {
  id: string;
  user_id: string;
  mime_type: string;
  storage_key: string;
  /**
   * The claim's fencing token: the row's `text_claimed_at` when it was claimed (renewed while the
   * run goes on). Only the run holding the current one may store passages or mark the file.
   */
  claim: string;
}

/** What `claimFile` found: the file is this run's now, another run's, finished, or not there. */
export type FileClaim =
  | { state: 'claimed'; file: Claimed }
  | { state: 'busy' }
  | { state: 'finished'; status: 'done' | 'failed' | 'none'; metadata: Record<string, unknown> }
  | { state: 'gone' };

/** Another run took the file over (this one was presumed dead) or it was deleted: this run's result is dropped. */
export class ClaimLostError extends Error {
  constructor(fileId: string) {
    super(`The claim on file ${fileId} was lost`);
    this.name = 'ClaimLostError';
  }
}

/** A run renews its claim this often; one not renewed for STALE_CLAIM_SECONDS belonged to an instance that died. */
const HEARTBEAT_MS = 10_000;
const STALE_CLAIM_SECONDS = 60;
const POLL_MS = 30_000;
const CLAIMED_COLUMNS = `id, user_id, mime_type, storage_key, text_claimed_at::text AS claim`;

/**
 * Extracts the text of uploaded documents into searchable passages, in the background. The work
 * list is the `files` table itself (`text_status`), so nothing is lost across restarts; replicas
 * claim rows with `FOR UPDATE SKIP LOCKED`. A claim is exclusive: a row is taken only when no live
 * run holds it (`processing` with a claim renewed within STALE_CLAIM_SECONDS), whether by this
 * fallback or by a `file_processing` job, and only the run holding the current claim stores its
 * result, so a run that lost its claim can neither fail nor overwrite a finished file.
 */
@Injectable()
export class TextIndexer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TextIndexer');
  private active = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly config: FilesConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  /** New work may be there: start workers up to the concurrency. */
  wake(): void {
    while (!this.stopped && this.active < this.config.FILES_TEXT_CONCURRENCY) {
      this.active++;
      const p = this.drain().finally(() => {
        this.active--;
        this.running.delete(p);
      });
      this.running.add(p);
    }
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      let job: Claimed | undefined;
      try {
        job = await this.claim();
      } catch (err) {
        this.logger.warn(`Claim failed: ${(err as Error).message}`);
        return;
      }
      if (!job) return;
      await this.process(job);
    }
  }

  private async claim(): Promise<Claimed | undefined> {
    // The conditions are checked again on the row itself: a job may have claimed it meanwhile.
    const claimable = `text_job_id IS NULL
                       AND (text_status = 'pending'
                            OR (text_status = 'queued' AND created_at < now() - interval '60 seconds')
                            OR (text_status = 'processing' AND text_claimed_at < now() - make_interval(secs => $1)))`;
    const rows = await this.ds.query(
      `UPDATE files.files SET text_status = 'processing', text_claimed_at = now()
        WHERE id = (SELECT id FROM files.files WHERE ${claimable} ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
          AND ${claimable}
        RETURNING ${CLAIMED_COLUMNS}`,
      [STALE_CLAIM_SECONDS],
    );
    return returned<Claimed>(rows)[0];
  }

  private async process(job: Claimed): Promise<void> {
    await this.extract(job).catch(() => undefined);
  }

  /**
   * Extracts and stores one file's passages and marks the row done (or failed), if this run still
   * holds its claim; answers what was indexed. Throws ClaimLostError, having changed nothing, when
   * another run took the file over or it was deleted.
   */
  async extract(job: Claimed): Promise<{ text_chunks: number; text_characters: number }> {
    let token = job.claim;
    let lost = false;
    let beat: Promise<void> = Promise.resolve();
    const renew = async () => {
      if (lost) return;
      const rows = await this.ds.query(
        `UPDATE files.files SET text_claimed_at = now() WHERE id = $1 AND text_status = 'processing' AND text_claimed_at = $2::timestamptz RETURNING text_claimed_at::text AS claim`,
        [job.id, token],
      );
      const row = returned<{ claim: string }>(rows)[0];
      if (row) token = row.claim;
      else lost = true;
    };
    // A renewal that fails (the database away for a moment) is tried again at the next beat.
    const timer = setInterval(() => (beat = beat.then(renew).catch(() => undefined)), HEARTBEAT_MS);
    timer.unref();
    // The token must not change under the final write: stop renewing and let a renewal in flight end.
    const stopRenewing = async () => {
      clearInterval(timer);
      await beat;
    };
    try {
      const text = await withLocalFile(this.storage, job.storage_key, (path) =>
        extractText(path, job.mime_type, this.config.FILES_TEXT_MAX_CHARS, this.config.FILES_TOOL_TIMEOUT_MS),
      );
      await stopRenewing();
      if (lost) throw new ClaimLostError(job.id);
      const chunks = chunkText(text ?? '');
      await this.ds.transaction(async (m) => {
        // The row stays locked to the commit: no other run can take it over in between.
        const own: unknown[] = await m.query(`SELECT 1 FROM files.files WHERE id = $1 AND text_status = 'processing' AND text_claimed_at = $2::timestamptz FOR UPDATE`, [
          job.id,
          token,
        ]);
        if (!own.length) throw new ClaimLostError(job.id);
        await m.query(`DELETE FROM files.file_chunks WHERE file_id = $1`, [job.id]);
        // Batches keep each statement's parameter count bounded.
        for (let i = 0; i < chunks.length; i += 500) {
          const batch = chunks.slice(i, i + 500);
          await m.query(
            `INSERT INTO files.file_chunks (file_id, chunk_index, user_id, content)
             SELECT $1, (t.n - 1 + $4::int)::int, $2, t.c FROM unnest($3::text[]) WITH ORDINALITY AS t(c, n)`,
            [job.id, job.user_id, batch, i],
          );
        }
        await m.query(
          `UPDATE files.files SET text_status = 'done', metadata = (metadata - 'text_error') || jsonb_build_object('text_chunks', $2::int, 'text_characters', $3::int) WHERE id = $1`,
          [job.id, chunks.length, (text ?? '').length],
        );
      });
      return { text_chunks: chunks.length, text_characters: (text ?? '').length };
    } catch (err) {
      await stopRenewing();
      if (err instanceof ClaimLostError) {
        this.logger.warn(`Text of file ${job.id} dropped: ${err.message}`);
        throw err;
      }
      this.logger.warn(`Text of file ${job.id} could not be extracted: ${(err as Error).message}`);
      await this.release(job, 'failed', 'extraction_failed', token).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Gives up a claim without a result: `failed` with `metadata.text_error` (a cancelled job), or
   * back to `queued` for its job to claim again. Only while the claim is still this run's.
   */
  async release(job: Claimed, status: 'failed' | 'queued', reason?: string, token = job.claim): Promise<void> {
    await this.ds.query(
      `UPDATE files.files SET text_status = $3,
              metadata = CASE WHEN $4::text IS NULL THEN metadata ELSE metadata || jsonb_build_object('text_error', $4::text) END
        WHERE id = $1 AND text_status = 'processing' AND text_claimed_at = $2::timestamptz`,
      [job.id, token, status, reason ?? null],
    );
  }

  /**
   * The file of a `file_processing` job cancelled (or deleted) before any run claimed it: `failed`
   * with `metadata.text_error` "cancelled", instead of waiting forever for a job no worker will
   * claim. A retry of the job takes it again (`claimFile`).
   */
  async jobCancelled(jobId: string): Promise<void> {
    await this.ds.query(
      `UPDATE files.files SET text_status = 'failed', metadata = metadata || jsonb_build_object('text_error', 'cancelled')
        WHERE text_job_id = $1 AND text_status = 'queued'`,
      [jobId],
    );
  }

  /**
   * Takes a file's row for its `file_processing` job, unless a live run holds it: a queued or
   * pending file, one this same job already did (a retry or a redelivery runs again), or one whose
   * run died. Otherwise says who has it; a file found in another run's hands is this job's from
   * then on (`text_job_id`), so its result answers the job.
   */
  async claimFile(fileId: string, jobId: string, userId: string): Promise<FileClaim> {
    const rows = await this.ds.query(
      `UPDATE files.files SET text_status = 'processing', text_claimed_at = now(), text_job_id = $2
        WHERE id = $1 AND user_id = $3
          AND (text_status IN ('queued', 'pending')
               OR (text_status IN ('done', 'failed') AND text_job_id = $2)
               OR (text_status = 'processing' AND text_claimed_at < now() - make_interval(secs => $4)))
        RETURNING ${CLAIMED_COLUMNS}`,
      [fileId, jobId, userId, STALE_CLAIM_SECONDS],
    );
    const file = returned<Claimed>(rows)[0];
    if (file) return { state: 'claimed', file };
    const found = returned<{ text_status: string; metadata: Record<string, unknown> }>(
      await this.ds.query(`UPDATE files.files SET text_job_id = coalesce(text_job_id, $2) WHERE id = $1 AND user_id = $3 RETURNING text_status, metadata`, [
        fileId,
        jobId,
        userId,
      ]),
    )[0];
    if (!found) return { state: 'gone' };
    if (found.text_status === 'done' || found.text_status === 'failed' || found.text_status === 'none') {
      return { state: 'finished', status: found.text_status, metadata: found.metadata };
    }
    // Processing by a live run (or queued/pending again a moment ago: the next try takes it).
    return { state: 'busy' };
  }
}
