import { createHash, randomUUID } from 'node:crypto';
import { close, createReadStream, fsync, open, writev } from 'node:fs';
import { copyFile, mkdir, open as openFile, readdir, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OpenedFile } from './file-sender.js';
import { FLUSH_EVERY_BYTES, flushInBackground, WorkerFileSink } from './worker-file-sink.js';
import { assertValidKey, type BlobListing, type BlobStat, type BlobStorage, BlobTooLargeError, type ByteRange, type PutOptions, type PutResult } from './blob-storage.js';

/**
 * Blob storage on a local (or mounted) filesystem: bytes go to a temp file, are flushed to disk
 * (fsync), then renamed into place (and the directory flushed), so a key never holds partial
 * bytes and a stored blob survives a crash or power loss.
 */
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

  /**
   * Removes the temp files untouched for `maxAgeMs` (what an upload or a copy left when its process
   * was killed mid-way: nothing else ever removes them); answers how many went. A temp file in use
   * is written to continually, and every process sharing the storage may sweep.
   */
  async sweepTemp(maxAgeMs: number, now = Date.now()): Promise<number> {
    const dir = join(this.root, '.tmp');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(dir, name);
      const s = await stat(path).catch(() => null);
      if (!s?.isFile() || now - s.mtimeMs < maxAgeMs) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, '.tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, randomUUID());
  }

  async put(key: string, body: Readable | Buffer, opts: PutOptions = {}): Promise<PutResult> {
    const target = this.path(key);
    const tmp = await this.tempPath();
    // Hashed and written on a worker thread when one is free, on this thread otherwise.
    const sink = WorkerFileSink.create(tmp, opts.maxBytes) ?? new DurableFileSink(tmp, opts.maxBytes);
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, sink);
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      await fsyncDir(dirname(target));
    } catch (err) {
      await sink.whenClosed();
      await rm(tmp, { force: true });
      throw err;
    }
    return { size: sink.size, sha256: sink.sha256() };
  }

  async putFile(key: string, localPath: string): Promise<PutResult> {
    const target = this.path(key);
    const hash = createHash('sha256');
    await pipeline(createReadStream(localPath), hash);
    const { size } = await stat(localPath);
    await mkdir(dirname(target), { recursive: true });
    try {
      await fsyncFile(localPath);
      await rename(localPath, target);
    } catch {
      // Another filesystem: copy through a temp file so the key never holds partial bytes.
      const tmp = await this.tempPath();
      await copyFile(localPath, tmp);
      await fsyncFile(tmp);
      await rename(tmp, target);
      await unlink(localPath).catch(() => undefined);
    }
    await fsyncDir(dirname(target));
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

  /** The file of a key opened for `OpenedFile.sendTo`; null when there is none. */
  openFile(key: string): Promise<OpenedFile | null> {
    return OpenedFile.open(this.path(key));
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

  /** Walks the directory of `prefix` depth first, one directory read at a time; `.tmp` is not a blob. */
  async *list(prefix: string): AsyncIterable<BlobListing> {
    const top = prefix.replace(/\/+$/, '');
    const stack = [top ? this.path(top) : this.root];
    while (stack.length) {
      const dir = stack.pop() as string;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        // Gone meanwhile (a prefix deleted), or never there.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw err;
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (path !== join(this.root, '.tmp')) stack.push(path);
        } else if (e.isFile()) {
          const s = await stat(path).catch(() => null);
          if (s?.isFile()) yield { key: relative(this.root, path).split(sep).join('/'), size: s.size, modified_at: s.mtime };
        }
      }
    }
  }

  /** Writes a small file where puts write theirs (the temp directory) and removes it. */
  async probeWrite(): Promise<void> {
    const path = await this.tempPath();
    try {
      await writeFile(path, 'ready');
    } finally {
      await rm(path, { force: true });
    }
  }

  async capacity(): Promise<{ total_bytes: number; free_bytes: number }> {
    await mkdir(this.root, { recursive: true });
    const s = await statfs(this.root);
    return { total_bytes: s.blocks * s.bsize, free_bytes: s.bavail * s.bsize };
  }
}


/** fsync of a finished file. */
async function fsyncFile(path: string): Promise<void> {
  const fh = await openFile(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a directory, so a rename in it is durable too (not every filesystem allows it). */
async function fsyncDir(path: string): Promise<void> {
  const fh = await openFile(path, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
}

/**
 * Where `put` streams to when every upload worker is busy (see WorkerFileSink), in one stage on
 * this thread: counts (refusing past `maxBytes` before writing the chunk
 * that crosses it), hashes, and writes what arrived while the previous write was under way in
 * one `writev` (a 1 MiB buffer). Every FLUSH_EVERY_BYTES a flush to disk starts in the background,
 * so the disk works while the upload goes on and the final fsync has little left to do.
 */
class DurableFileSink extends Writable {
  size = 0;
  private readonly hash = createHash('sha256');
  private fd: number | null = null;
  private position = 0;
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  private flushError: Error | null = null;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly limit: number | undefined,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  sha256(): string {
    return this.hash.digest('hex');
  }

  /** Resolves once the file descriptor is closed (after a failure too). */
  whenClosed(): Promise<void> {
    return this.done;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.path, 'w', 0o644, (err, fd) => {
      if (err) return cb(err);
      this.fd = fd;
      this.done = new Promise((resolve) => this.once('close', () => resolve()));
      cb();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const bufs: Buffer[] = [];
    let n = 0;
    for (const { chunk } of chunks) {
      n += chunk.length;
      if (this.limit !== undefined && this.size + n > this.limit) return cb(new BlobTooLargeError(this.limit));
      this.hash.update(chunk);
      bufs.push(chunk);
    }
    this.size += n;
    if (this.flushError) return cb(this.flushError);
    writev(this.fd as number, bufs, this.position, (err, written) => {
      if (err) return cb(err);
      if (written !== n) return cb(new Error(`Short write: ${written} of ${n} bytes`));
      this.position += n;
      this.unflushed += n;
      if (this.unflushed >= FLUSH_EVERY_BYTES && !this.flushing) this.startFlush();
      cb();
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    void (this.flushing ?? Promise.resolve()).then(() => {
      if (this.flushError) return cb(this.flushError);
      fsync(this.fd as number, (err) => cb(err));
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = null;
    // A background flush still holds the descriptor: close it after.
    void (this.flushing ?? Promise.resolve()).then(() => {
      if (fd === null) return cb(err);
      close(fd, (closeErr) => cb(err ?? closeErr));
    });
  }

  private startFlush(): void {
    this.unflushed = 0;
    this.flushing = flushInBackground(this.fd as number).then((err) => {
      if (err) this.flushError = err;
      this.flushing = null;
    });
  }
}
