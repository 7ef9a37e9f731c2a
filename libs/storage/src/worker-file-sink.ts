import { availableParallelism } from 'node:os';
import { close, fdatasync, fsync, open } from 'node:fs';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BlobTooLargeError } from './blob-storage.js';

/** Bytes of the ring an upload is copied into for its worker (per worker, allocated once). */
export const RING_BYTES = 4 * 1024 * 1024;
/** Most bytes a worker hashes and writes before it frees them in the ring. */
const STEP_BYTES = 256 * 1024;
/** Bytes written between two background flushes (fdatasync) of an upload. */
export const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;
/** Most workers; an upload that finds all of them busy is hashed on the main thread. */
export const MAX_SINK_WORKERS = Math.min(4, Math.max(2, availableParallelism()));

// Control words shared with a worker (Int32Array over a SharedArrayBuffer).
const HEAD = 0; // bytes copied into the ring so far (wrapping int32)
const TAIL = 1; // bytes the worker hashed and wrote so far (wrapping int32)
const STATE = 2;
const SEQ = 3; // bumped (and notified) by the main thread on every HEAD or STATE change
const RUNNING = 1;
const END = 2; // no more bytes: finish and answer the digest
const ABORT = 3; // stop now, answer `aborted`
const FAILED = 4; // set by the worker when a write failed (or by the main thread when it died)

/**
 * The worker (CommonJS, evaluated from this string so it runs the same from sources and from
 * dist): for each job, it hashes and writes (at increasing positions of the job's descriptor)
 * the bytes between TAIL and HEAD of the ring, sleeping on SEQ when there are none.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { writeSync } = require('node:fs');
const ctl = new Int32Array(workerData.control);
const ring = new Uint8Array(workerData.ring);
const SIZE = ring.length;
parentPort.on('message', ({ fd }) => {
  const hash = createHash('sha256');
  let tail = 0;
  let position = 0;
  try {
    for (;;) {
      const seq = Atomics.load(ctl, ${SEQ});
      const state = Atomics.load(ctl, ${STATE});
      if (state === ${ABORT}) return parentPort.postMessage({ aborted: true });
      let avail = (Atomics.load(ctl, ${HEAD}) - tail) | 0;
      if (avail === 0) {
        if (state === ${END}) break;
        Atomics.wait(ctl, ${SEQ}, seq);
        continue;
      }
      while (avail > 0) {
        const at = tail & (SIZE - 1);
        const n = Math.min(avail, SIZE - at, ${STEP_BYTES});
        const view = ring.subarray(at, at + n);
        hash.update(view);
        for (let off = 0; off < n; ) off += writeSync(fd, view, off, n - off, position + off);
        position += n;
        avail -= n;
        tail = (tail + n) | 0;
        Atomics.store(ctl, ${TAIL}, tail);
        Atomics.notify(ctl, ${TAIL});
      }
    }
    parentPort.postMessage({ sha256: hash.digest('hex'), bytes: position });
  } catch (err) {
    Atomics.store(ctl, ${STATE}, ${FAILED});
    Atomics.notify(ctl, ${TAIL});
    parentPort.postMessage({ error: { message: err.message, code: err.code } });
  }
});
`;

/** `Atomics.waitAsync` (Node 16+; in TypeScript's lib from es2024). */
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { async: false; value: string } | { async: true; value: Promise<string> } }).waitAsync;

type JobResult = { sha256: string; bytes: number } | { aborted: true } | { error: { message: string; code?: string } };

/** A long-lived worker, its ring and control words; one job at a time. */
class SinkWorker {
  readonly control = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  readonly ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
  private readonly worker: Worker;
  private settle: ((r: JobResult | Error) => void) | null = null;
  dead = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { control: this.control.buffer, ring: this.ring.buffer } });
    this.worker.unref();
    this.worker.on('message', (r: JobResult) => this.finish(r));
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', () => this.die(new Error('The upload worker exited')));
  }

  /** Starts hashing and writing what the ring receives to `fd`; resolves with the worker's answer. */
  start(fd: number): Promise<JobResult | Error> {
    Atomics.store(this.control, HEAD, 0);
    Atomics.store(this.control, TAIL, 0);
    Atomics.store(this.control, SEQ, 0);
    Atomics.store(this.control, STATE, RUNNING);
    this.worker.ref();
    const done = new Promise<JobResult | Error>((resolve) => (this.settle = resolve));
    this.worker.postMessage({ fd });
    return done;
  }

  /** Sets STATE and wakes the worker. */
  signal(state: number): void {
    Atomics.store(this.control, STATE, state);
    Atomics.add(this.control, SEQ, 1);
    Atomics.notify(this.control, SEQ);
  }

  private finish(r: JobResult | Error): void {
    const settle = this.settle;
    this.settle = null;
    this.worker.unref();
    settle?.(r);
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    const i = pool.indexOf(this);
    if (i >= 0) pool.splice(i, 1);
    all.delete(this);
    // Wake a main thread waiting for room in the ring.
    Atomics.store(this.control, STATE, FAILED);
    Atomics.notify(this.control, TAIL);
    this.finish(err);
  }
}

const pool: SinkWorker[] = [];
const all = new Set<SinkWorker>();

function acquire(): SinkWorker | null {
  const idle = pool.pop();
  if (idle) return idle;
  if (all.size >= MAX_SINK_WORKERS) return null;
  const w = new SinkWorker();
  all.add(w);
  return w;
}

function release(w: SinkWorker): void {
  if (!w.dead) pool.push(w);
}

/**
 * Where `put` streams to when a worker is free: the main thread only checks the size (refusing
 * past `maxBytes` before copying the chunk that crosses it) and copies each chunk into the
 * worker's ring; the worker hashes and writes it, so SHA-256 and the write calls run on another
 * core while the main thread parses the next bytes. Every FLUSH_EVERY_BYTES a flush to disk
 * starts in the background; the file is fsynced before `finish`. The ring is the only buffer
 * (RING_BYTES per worker, whatever the file size).
 */
export class WorkerFileSink extends Writable {
  size = 0;
  private digest: string | null = null;
  private fd: number | null = null;
  private head = 0;
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  private flushError: Error | null = null;
  private job: Promise<JobResult | Error> | null = null;
  private result: JobResult | Error | null = null;
  private done: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly limit: number | undefined,
    private readonly worker: SinkWorker,
  ) {
    // The ring is the buffer: the stream itself holds little.
    super({ highWaterMark: 64 * 1024 });
  }

  /** A sink on a free worker; null when every worker is busy. */
  static create(path: string, limit?: number): WorkerFileSink | null {
    const w = acquire();
    return w ? new WorkerFileSink(path, limit, w) : null;
  }

  sha256(): string {
    if (this.digest === null) throw new Error('The upload is not finished');
    return this.digest;
  }

  /** Resolves once the file descriptor is closed (after a failure too). */
  whenClosed(): Promise<void> {
    return this.done;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.path, 'w', 0o644, (err, fd) => {
      if (err) {
        release(this.worker);
        return cb(err);
      }
      this.fd = fd;
      this.done = new Promise((resolve) => this.once('close', () => resolve()));
      this.job = this.worker.start(fd);
      void this.job.then((r) => (this.result = r));
      cb();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.limit !== undefined && this.size + chunk.length > this.limit) return cb(new BlobTooLargeError(this.limit));
    if (this.flushError) return cb(this.flushError);
    this.size += chunk.length;
    const { control, ring } = this.worker;
    let off = 0;
    const copy = (): void => {
      for (;;) {
        // Destroyed while waiting for room: the worker and its ring may already serve another upload.
        if (this.destroyed) return cb();
        if (Atomics.load(control, STATE) === FAILED) return void this.failure().then(cb);
        if (off === chunk.length) return cb();
        const tail = Atomics.load(control, TAIL);
        const free = RING_BYTES - ((this.head - tail) | 0);
        if (free === 0) {
          const wait = waitAsync(control, TAIL, tail);
          if (wait.async) return void wait.value.then(copy);
          continue;
        }
        const at = this.head & (RING_BYTES - 1);
        const n = Math.min(free, RING_BYTES - at, chunk.length - off);
        ring.set(chunk.subarray(off, off + n), at);
        off += n;
        this.head = (this.head + n) | 0;
        Atomics.store(control, HEAD, this.head);
        // Woken per chunk: waking it per 256 KiB instead measured slower.
        this.wake();
        this.unflushed += n;
        if (this.unflushed >= FLUSH_EVERY_BYTES && !this.flushing) this.startFlush();
      }
    };
    copy();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.worker.signal(END);
    void (this.job as Promise<JobResult | Error>)
      .then(async (r) => {
        await this.flushing;
        if (r instanceof Error) throw r;
        if ('error' in r) throw toError(r.error);
        if (!('sha256' in r)) throw new Error('The upload was aborted');
        if (r.bytes !== this.size) throw new Error(`Wrote ${r.bytes} of ${this.size} bytes`);
        if (this.flushError) throw this.flushError;
        await new Promise<void>((resolve, reject) => fsync(this.fd as number, (err) => (err ? reject(err) : resolve())));
        this.digest = r.sha256;
      })
      .then(
        () => cb(),
        (err: Error) => cb(err),
      );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return cb(err);
    // The worker may still write to the descriptor: it is closed only once the worker let go.
    if (!this.result) this.worker.signal(ABORT);
    void Promise.all([this.job, this.flushing]).then(() => {
      release(this.worker);
      close(fd, (closeErr) => cb(err ?? closeErr));
    });
  }

  private wake(): void {
    Atomics.add(this.worker.control, SEQ, 1);
    Atomics.notify(this.worker.control, SEQ);
  }

  /** The worker's error once it reported one. */
  private async failure(): Promise<Error> {
    const r = await this.job;
    if (r instanceof Error) return r;
    if (r && 'error' in r) return toError(r.error);
    return new Error('The upload worker failed');
  }

  private startFlush(): void {
    this.unflushed = 0;
    this.flushing = flushInBackground(this.fd as number).then((err) => {
      if (err) this.flushError = err;
      this.flushing = null;
    });
  }
}

/** An fdatasync of `fd` under way while the upload goes on; answers its error, if any. */
export function flushInBackground(fd: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => fdatasync(fd, (err) => resolve(err)));
}

function toError(e: { message: string; code?: string }): Error {
  return Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
}
