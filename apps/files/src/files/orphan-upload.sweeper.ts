import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUuid } from '@vgp/contracts';
import { BLOB_STORAGE, type BlobListing, type BlobStorage } from '@vgp/storage';
import type { Repository } from 'typeorm';
import { FilesConfig } from '../files.config.js';
import { FileEntity } from './file.entity.js';

/** Keys looked up in one query. */
const BATCH = 500;

/**
 * Removes uploaded bytes that no file row names: what a gateway left when it was killed between
 * storing an upload and registering it, or when removing the bytes of a refused registration
 * failed. Keys are `files/<owner>/<file_id>` (the row's id); bytes untouched for
 * `FILES_ORPHAN_MAX_AGE_SECONDS` whose id has no row, or a row naming other bytes, go. A
 * registration happens within a minute of the upload, so a day leaves every upload under way
 * alone. Shortly after start, then every `FILES_ORPHAN_SWEEP_INTERVAL_SECONDS`; replicas may sweep
 * at once (removing a missing blob is nothing).
 */
@Injectable()
export class OrphanUploadSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OrphanUploadSweeper');
  private timer?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @InjectRepository(FileEntity) private readonly files: Repository<FileEntity>,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly config: FilesConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.FILES_ORPHAN_SWEEP_INTERVAL_SECONDS === 0) return;
    const sweep = () => void this.sweep().catch((err: Error) => this.logger.warn(`Orphaned uploads not swept: ${err.message}`));
    this.first = setTimeout(sweep, 60_000);
    this.first.unref();
    this.timer = setInterval(sweep, this.config.FILES_ORPHAN_SWEEP_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.first);
    clearInterval(this.timer);
  }

  /** One pass over the stored uploads; answers how many were removed. */
  sweep(now = Date.now()): Promise<number> {
    this.running ??= this.pass(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: number): Promise<number> {
    const maxAge = this.config.FILES_ORPHAN_MAX_AGE_SECONDS * 1000;
    let removed = 0;
    let batch: BlobListing[] = [];
    const flush = async () => {
      removed += await this.removeOrphans(batch);
      batch = [];
    };
    for await (const blob of this.storage.list('files/')) {
      if (now - blob.modified_at.getTime() < maxAge) continue;
      batch.push(blob);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (removed) this.logger.log(`Removed ${removed} orphaned upload(s) from the storage`);
    return removed;
  }

  private async removeOrphans(blobs: BlobListing[]): Promise<number> {
    // Only keys of the platform's own shape are judged: anything else in the store is left alone.
    const ours = blobs.map((b) => ({ key: b.key, id: b.key.split('/').at(-1) ?? '' })).filter((b) => /^files\/[^/]+\/[^/]+$/.test(b.key) && isUuid(b.id));
    if (!ours.length) return 0;
    const rows: Array<{ storage_key: string }> = await this.files.query(`SELECT storage_key FROM files.files WHERE id = ANY($1::uuid[])`, [ours.map((b) => b.id)]);
    const named = new Set(rows.map((r) => r.storage_key));
    let removed = 0;
    for (const b of ours) {
      if (named.has(b.key)) continue;
      await this.storage.delete(b.key);
      removed++;
    }
    return removed;
  }
}
