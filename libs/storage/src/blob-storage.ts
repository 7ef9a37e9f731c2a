import type { Readable, Writable } from 'node:stream';

export interface BlobStat {
  size: number;
  modified_at: Date;
  /** Strong validator of the bytes as stored (size and modification time). */
  etag: string;
}

/** A blob as `BlobStorage.list` names it. */
export interface BlobListing {
  key: string;
  size: number;
  modified_at: Date;
}

export interface PutResult {
  size: number;
  sha256: string;
}

export interface PutOptions {
  /** Abort (and keep nothing) once more than this many bytes arrived. */
  maxBytes?: number;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** A blob opened for sending, before anything is answered (see `BlobStorage.openFile`). */
export interface OpenBlob {
  /** Writes the inclusive `range` to `out` (not ended), then closes; rejects with `SendAbortedError` when `out` closes first. */
  sendTo(out: Writable, range: ByteRange): Promise<void>;
  /** Gives the blob up without sending it. */
  close(): void;
}

/** Thrown by `put` when `maxBytes` was exceeded; nothing was kept. */
export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Blob exceeds ${limit} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(key: string) {
    super(`Invalid blob key: ${JSON.stringify(key).slice(0, 120)}`);
    this.name = 'InvalidBlobKeyError';
  }
}

/**
 * Where bytes live. Keys are relative paths made by the platform (never by a client), e.g.
 * `videos/<user>/<job>/video.mp4`. The local filesystem driver is the default; an
 * S3-compatible driver implements the same interface.
 */
export interface BlobStorage {
  readonly driver: string;
  /** Streams `body` in, hashing on the way; the key appears only once the bytes are complete. */
  put(key: string, body: Readable | Buffer, opts?: PutOptions): Promise<PutResult>;
  /** Moves or copies a finished local file in. */
  putFile(key: string, localPath: string): Promise<PutResult>;
  stat(key: string): Promise<BlobStat | null>;
  /** The bytes, or the inclusive `range` of them. */
  read(key: string, range?: ByteRange): Readable;
  /**
   * A path on this machine holding the bytes, for tools that need a seekable file (ffprobe,
   * pdfinfo); null when the driver has none (use `withLocalFile`).
   */
  localPath?(key: string): string | null;
  /**
   * The blob as an open local file, for `sendTo` (reused buffers straight to a socket); null when
   * it does not exist. Drivers without local files leave it out (use `read`).
   */
  openFile?(key: string): Promise<OpenBlob | null>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Every blob whose key starts with `prefix` (a directory: `files/`), in no set order, read as it
   * goes (for sweeps over stores of any size; an S3 driver pages through ListObjectsV2). Blobs
   * being written are not listed.
   */
  list(prefix: string): AsyncIterable<BlobListing>;
  /** Writes and removes a small file (readiness: the service can store bytes here); drivers may leave it out. */
  probeWrite?(): Promise<void>;
  /** Capacity where the driver has one (for health), in bytes. */
  capacity(): Promise<{ total_bytes: number; free_bytes: number } | null>;
}

export const BLOB_STORAGE = Symbol('BLOB_STORAGE');

const KEY = /^(?!\/)(?!.*\/\/)[A-Za-z0-9_][A-Za-z0-9._\-/]{0,511}$/;

/** A key is relative, with no `..` segment, from a small alphabet. */
export function assertValidKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) throw new InvalidBlobKeyError(key);
}

/**
 * Runs `fn` with a local, seekable path of the blob: the driver's own file where it has one,
 * otherwise a temporary copy removed afterwards.
 */
export async function withLocalFile<T>(storage: BlobStorage, key: string, fn: (path: string) => Promise<T>): Promise<T> {
  const direct = storage.localPath?.(key);
  if (direct) return fn(direct);
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'vgp-blob-'));
  try {
    const path = join(dir, 'blob');
    await pipeline(storage.read(key), createWriteStream(path));
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
