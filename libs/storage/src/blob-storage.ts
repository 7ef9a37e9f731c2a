import type { Readable } from 'node:stream';

export interface BlobStat {
  size: number;
  modified_at: Date;
  /** Strong validator of the bytes as stored (size and modification time). */
  etag: string;
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
  read(key: string, range?: ByteRange): Readable;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  /** Capacity where the driver has one (for health), in bytes. */
  capacity(): Promise<{ total_bytes: number; free_bytes: number } | null>;
}

export const BLOB_STORAGE = Symbol('BLOB_STORAGE');

const KEY = /^(?!\/)(?!.*\/\/)[A-Za-z0-9_][A-Za-z0-9._\-/]{0,511}$/;

/** A key is relative, with no `..` segment, from a small alphabet. */
export function assertValidKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) throw new InvalidBlobKeyError(key);
}
