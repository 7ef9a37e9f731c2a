import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { BLOB_STORAGE, type BlobStorage, withLocalFile } from '@vgp/storage';
import type { DataSource } from 'typeorm';
import { FilesConfig } from '../files.config.js';
import { chunkText, extractText } from './text-extract.js';

export interface Claimed {
  id: string;
  user_id: string;
  mime_type: string;
  storage_key: string;
}

/** A claim older than this belonged to an instance that died mid-extraction. */
const STALE_CLAIM_SECONDS = 300;
const POLL_MS = 30_000;

/**
 * Extracts the text of uploaded documents into searchable passages, in the background. The work
 * list is the `files` table itself (`text_status`), so nothing is lost across restarts; replicas
 * claim rows with `FOR UPDATE SKIP LOCKED`.
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
    const rows: Claimed[] = await this.ds.query(
      `UPDATE files.files SET text_status = 'processing', text_claimed_at = now()
        WHERE id = (SELECT id FROM files.files
                     WHERE text_job_id IS NULL
                       AND (text_status = 'pending'
                            OR (text_status = 'queued' AND created_at < now() - interval '60 seconds')
                            OR (text_status = 'processing' AND text_claimed_at < now() - make_interval(secs => $1)))
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, user_id, mime_type, storage_key`,
      [STALE_CLAIM_SECONDS],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Claimed[]) : rows;
    return list[0];
  }

  private async process(job: Claimed): Promise<void> {
    await this.extract(job).catch(() => undefined);
  }

  /** Extracts and stores one file's passages; marks the row done or failed. Answers what was indexed. */
  async extract(job: Claimed): Promise<{ text_chunks: number; text_characters: number }> {
    try {
      const text = await withLocalFile(this.storage, job.storage_key, (path) =>
        extractText(path, job.mime_type, this.config.FILES_TEXT_MAX_CHARS, this.config.FILES_TOOL_TIMEOUT_MS),
      );
      const chunks = chunkText(text ?? '');
      await this.ds.transaction(async (m) => {
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
        await m.query(`UPDATE files.files SET text_status = 'done', metadata = metadata || jsonb_build_object('text_chunks', $2::int, 'text_characters', $3::int) WHERE id = $1`, [
          job.id,
          chunks.length,
          (text ?? '').length,
        ]);
      });
      return { text_chunks: chunks.length, text_characters: (text ?? '').length };
    } catch (err) {
      this.logger.warn(`Text of file ${job.id} could not be extracted: ${(err as Error).message}`);
      await this.ds.query(`UPDATE files.files SET text_status = 'failed' WHERE id = $1`, [job.id]).catch(() => undefined);
      throw err;
    }
  }

  /** Takes a file's row for a `file_processing` job (whatever its state: the job decides). */
  async claimFile(fileId: string): Promise<Claimed | undefined> {
    const rows: Claimed[] = await this.ds.query(
      `UPDATE files.files SET text_status = 'processing', text_claimed_at = now() WHERE id = $1 RETURNING id, user_id, mime_type, storage_key`,
      [fileId],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Claimed[]) : rows;
    return list[0];
  }
}
