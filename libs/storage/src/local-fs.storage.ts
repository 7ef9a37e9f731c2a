import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, type BlobStat, type BlobStorage, BlobTooLargeError, type ByteRange, type PutOptions, type PutResult } from './blob-storage.js';

/** Blob storage on a local (or mounted) filesystem: temp file, fsync-free rename into place. */
export class LocalFsStorage implements BlobStorage {
  readonly driver = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    assertValidKey(key);
    return join(this.root, key);
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, '.tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, randomUUID());
  }

  async put(key: string, body: Readable | Buffer, opts: PutOptions = {}): Promise<PutResult> {
    const target = this.path(key);
    const tmp = await this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const limit = opts.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (limit !== undefined && size > limit) return cb(new BlobTooLargeError(limit));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      // A 1 MiB write buffer lets chunks that arrive while a write is under way go out together (writev).
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, meter, createWriteStream(tmp, { highWaterMark: 1024 * 1024 }));
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size, sha256: hash.digest('hex') };
  }

  async putFile(key: string, localPath: string): Promise<PutResult> {
    const target = this.path(key);
    const hash = createHash('sha256');
    await pipeline(createReadStream(localPath), hash);
    const { size } = await stat(localPath);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(localPath, target);
    } catch {
      // Another filesystem: copy through a temp file so the key never holds partial bytes.
      const tmp = await this.tempPath();
      await copyFile(localPath, tmp);
      await rename(tmp, target);
      await unlink(localPath).catch(() => undefined);
    }
    return { size, sha256: hash.digest('hex') };
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const s = await stat(this.path(key));
      if (!s.isFile()) return null;
      return { size: s.size, modified_at: s.mtime, etag: `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"` };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  read(key: string, range?: ByteRange): Readable {
    // 256 KiB reads: fewer syscalls and socket writes than the 64 KiB default on large files.
    return createReadStream(this.path(key), { start: range?.start, end: range?.end, highWaterMark: 256 * 1024 });
  }

  localPath(key: string): string {
    return this.path(key);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix.replace(/\/+$/, '')), { recursive: true, force: true });
  }

  async capacity(): Promise<{ total_bytes: number; free_bytes: number }> {
    await mkdir(this.root, { recursive: true });
    const s = await statfs(this.root);
    return { total_bytes: s.blocks * s.bsize, free_bytes: s.bavail * s.bsize };
  }
}
