import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SubtitleTrack, ThumbnailMetadata } from '@vgp/contracts';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';
import type { DataSource } from 'typeorm';
import { VideosConfig } from '../videos.config.js';

interface PurgeRow {
  id: string;
  user_id: string;
  job_id: string;
  file_path: string;
  thumbnails: ThumbnailMetadata[];
  subtitle_tracks: SubtitleTrack[];
}

/**
 * Removes the bytes of soft-deleted videos once their retention has passed. Replicas share the
 * work: each batch is claimed with `FOR UPDATE SKIP LOCKED`.
 */
@Injectable()
export class VideoPurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('VideoPurge');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly config: VideosConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.VIDEO_PURGE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; answers how many videos lost their bytes. Never overlaps itself. */
  sweep(): Promise<number> {
    this.running ??= this.purgeDue()
      .catch((err: Error) => {
        this.logger.error(`Purge failed: ${err.message}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async purgeDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.ds.transaction(async (m) => {
        const rows: PurgeRow[] = await m.query(
          `SELECT id, user_id, job_id, file_path, thumbnails, subtitle_tracks FROM videos.videos
            WHERE is_deleted AND purged_at IS NULL AND deleted_at <= now() - make_interval(secs => $1)
            ORDER BY deleted_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
          [this.config.VIDEO_DELETE_RETENTION_SECONDS],
        );
        for (const r of rows) await this.removeBytes(r);
        if (rows.length) await m.query(`UPDATE videos.videos SET purged_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
        return rows.length;
      });
      total += n;
      if (n < 50) break;
    }
    if (total) this.logger.log(`Removed the bytes of ${total} deleted video(s)`);
    return total;
  }

  private async removeBytes(r: PurgeRow): Promise<void> {
    // The render worker writes everything of a job under videos/<user>/<job>/ (each attempt in a
    // directory of its own there): the whole job directory goes, with what a lost attempt left.
    // Anything else goes key by key.
    const keys = [r.file_path, ...r.thumbnails.map((t) => t.file_path), ...r.subtitle_tracks.map((t) => t.file_path)];
    const jobDir = `videos/${r.user_id}/${r.job_id}/`;
    const dir = r.file_path.slice(0, r.file_path.lastIndexOf('/') + 1);
    const under = (d: string) => d.split('/').length >= 4 && d.startsWith('videos/') && keys.every((k) => k.startsWith(d));
    if (!r.user_id.includes('/') && under(jobDir)) {
      await this.storage.deletePrefix(jobDir);
    } else if (under(dir)) {
      await this.storage.deletePrefix(dir);
    } else {
      for (const k of keys) await this.storage.delete(k);
    }
  }
}
