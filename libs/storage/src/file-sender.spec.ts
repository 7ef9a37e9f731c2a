import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { OpenedFile, SEND_CHUNK_BYTES, SendAbortedError, SMALL_CHUNK_BYTES } from './file-sender.js';

/** A sink that keeps copies of what it was given and acknowledges each write after `delayMs`. */
function collector(delayMs = 0): Writable & { bytes(): Buffer } {
  const got: Buffer[] = [];
  const w = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      // Copied at once: the sender may reuse the buffer only after the callback.
      got.push(Buffer.from(chunk));
      setTimeout(cb, delayMs);
    },
  });
  return Object.assign(w, { bytes: () => Buffer.concat(got) });
}

describe('OpenedFile.sendTo', () => {
  let dir: string;
  let path: string;
  const body = randomBytes(SEND_CHUNK_BYTES * 3 + 12_345);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vgp-sender-spec-'));
    path = join(dir, 'blob.bin');
    await writeFile(path, body);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers null for a missing file', async () => {
    expect(await OpenedFile.open(join(dir, 'missing.bin'))).toBeNull();
  });

  it('writes exactly the inclusive range, across chunk boundaries', async () => {
    for (const [start, end] of [[0, body.length - 1], [0, 0], [SEND_CHUNK_BYTES - 1, SEND_CHUNK_BYTES], [17, 2 * SEND_CHUNK_BYTES + 99], [5, SMALL_CHUNK_BYTES + 4], [5, SMALL_CHUNK_BYTES + 5], [body.length - 1, body.length - 1]]) {
      const file = (await OpenedFile.open(path)) as OpenedFile;
      const out = collector();
      await file.sendTo(out, { start, end });
      expect(out.bytes().equals(body.subarray(start, end + 1))).toBe(true);
    }
  });

  it('keeps concurrent responses apart while their buffers are reused (slow and fast readers)', async () => {
    const ranges = Array.from({ length: 12 }, (_, i) => ({ start: i * 1000, end: body.length - 1 - i * 777 }));
    const outs = ranges.map((_, i) => collector(i % 3));
    await Promise.all(ranges.map(async (r, i) => ((await OpenedFile.open(path)) as OpenedFile).sendTo(outs[i], r)));
    ranges.forEach((r, i) => expect(outs[i].bytes().equals(body.subarray(r.start, r.end + 1))).toBe(true));
  });

  it('stops with SendAbortedError when the response closes first', async () => {
    const file = (await OpenedFile.open(path)) as OpenedFile;
    const out = collector(20);
    const sent = file.sendTo(out, { start: 0, end: body.length - 1 });
    setTimeout(() => out.destroy(), 5);
    await expect(sent).rejects.toBeInstanceOf(SendAbortedError);
    const closed = collector();
    closed.destroy();
    await expect(((await OpenedFile.open(path)) as OpenedFile).sendTo(closed, { start: 0, end: 10 })).rejects.toBeInstanceOf(SendAbortedError);
  });

  it('fails rather than pads when the file is shorter than the range', async () => {
    const file = (await OpenedFile.open(path)) as OpenedFile;
    await expect(file.sendTo(collector(), { start: body.length - 10, end: body.length + 10 })).rejects.toThrow('ended before');
  });
});
