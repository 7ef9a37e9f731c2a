import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError } from './blob-storage.js';
import { LocalFsStorage } from './local-fs.storage.js';
import { MAX_SINK_WORKERS, RING_BYTES, WorkerFileSink } from './worker-file-sink.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunks = (b: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));

/** Runs `body` through a worker sink into `path`; answers the sink. */
async function sinkInto(path: string, body: Readable, limit?: number): Promise<WorkerFileSink> {
  const sink = WorkerFileSink.create(path, limit);
  if (!sink) throw new Error('no free worker');
  await pipeline(body, sink);
  return sink;
}

describe('WorkerFileSink', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vgp-worker-sink-spec-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hashes and writes a body several times the ring, in uneven chunks, on a worker thread', async () => {
    const body = randomBytes(3 * RING_BYTES + 12_345);
    const path = join(root, 'a.bin');
    const sink = await sinkInto(path, chunks(body, 65_537));
    expect(sink.size).toBe(body.length);
    expect(sink.sha256()).toBe(sha(body));
    expect((await readFile(path)).equals(body)).toBe(true);
  });

  it('takes chunks larger than the ring and an empty body', async () => {
    const body = randomBytes(RING_BYTES + RING_BYTES / 2 + 1);
    const big = await sinkInto(join(root, 'big.bin'), chunks(body, RING_BYTES + 7));
    expect(big.sha256()).toBe(sha(body));
    expect((await readFile(join(root, 'big.bin'))).equals(body)).toBe(true);
    const empty = await sinkInto(join(root, 'empty.bin'), Readable.from([]));
    expect(empty.sha256()).toBe(sha(Buffer.alloc(0)));
    expect((await readFile(join(root, 'empty.bin'))).length).toBe(0);
  });

  it('refuses the chunk that crosses the limit before writing it', async () => {
    const body = randomBytes(300_000);
    const path = join(root, 'limit.bin');
    const sink = WorkerFileSink.create(path, 100_000) as WorkerFileSink;
    await expect(pipeline(chunks(body, 30_000), sink)).rejects.toBeInstanceOf(BlobTooLargeError);
    await sink.whenClosed();
    // The worker stops at the abort: what it wrote is a prefix of the bytes before the limit, never more.
    const written = await readFile(path);
    expect(written.length).toBeLessThanOrEqual(90_000);
    expect(written.equals(body.subarray(0, written.length))).toBe(true);
    expect(() => sink.sha256()).toThrow('not finished');
  });

  it('reports a failed write (a full device) and its worker serves the next upload', async () => {
    const sinks: Promise<unknown>[] = [];
    // Every worker gets a failing job at least once.
    for (let i = 0; i < MAX_SINK_WORKERS; i++) {
      const sink = WorkerFileSink.create('/dev/full') as WorkerFileSink;
      sinks.push(pipeline(chunks(randomBytes(1024 * 1024), 65_536), sink).then(() => 'ok', (err: NodeJS.ErrnoException) => err.code));
    }
    expect(await Promise.all(sinks)).toEqual(Array(MAX_SINK_WORKERS).fill('ENOSPC'));
    const body = randomBytes(2 * RING_BYTES + 1);
    const results = await Promise.all(Array.from({ length: MAX_SINK_WORKERS }, (_, i) => sinkInto(join(root, `after-${i}.bin`), chunks(body, 50_000))));
    for (const sink of results) expect(sink.sha256()).toBe(sha(body));
  });

  it('lets go of a worker when the body fails midway, and the worker is reused', async () => {
    const body = randomBytes(2 * RING_BYTES);
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= RING_BYTES + 100_000) return this.destroy(new Error('client went away'));
        this.push(body.subarray(sent, sent + 100_000));
        sent += 100_000;
      },
    });
    const sink = WorkerFileSink.create(join(root, 'cut.bin')) as WorkerFileSink;
    await expect(pipeline(failing, sink)).rejects.toThrow('client went away');
    await sink.whenClosed();
    const held = Array.from({ length: MAX_SINK_WORKERS }, (_, i) => WorkerFileSink.create(join(root, `held-${i}.bin`)));
    expect(held.every((s) => s !== null)).toBe(true);
    // Every worker is taken: the next upload is told to hash on its own thread.
    expect(WorkerFileSink.create(join(root, 'none.bin'))).toBeNull();
    await Promise.all(held.map((s) => pipeline(chunks(body, 77_777), s as WorkerFileSink)));
    for (const s of held) expect(s?.sha256()).toBe(sha(body));
    expect(WorkerFileSink.create(join(root, 'free.bin'))).not.toBeNull();
  });

  it('serves more concurrent puts than workers (the rest are hashed on the main thread), each exact', async () => {
    const storage = new LocalFsStorage(join(root, 'store'));
    const bodies = Array.from({ length: MAX_SINK_WORKERS + 3 }, (_, i) => randomBytes(RING_BYTES + i * 1_001));
    const results = await Promise.all(bodies.map((b, i) => storage.put(`files/u/${i}.bin`, chunks(b, 64 * 1024), { maxBytes: b.length })));
    results.forEach((r, i) => expect(r).toEqual({ size: bodies[i].length, sha256: sha(bodies[i]) }));
    for (const [i, b] of bodies.entries()) expect((await readFile(join(root, 'store', `files/u/${i}.bin`))).equals(b)).toBe(true);
    expect(await readdir(join(root, 'store', '.tmp'))).toEqual([]);
  });
});
