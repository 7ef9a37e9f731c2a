import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { assertValidKey, BlobTooLargeError, InvalidBlobKeyError, withLocalFile } from './blob-storage.js';
import { LocalFsStorage } from './local-fs.storage.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunks = (b: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));

describe('LocalFsStorage', () => {
  let root: string;
  let storage: LocalFsStorage;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vgp-storage-spec-'));
    storage = new LocalFsStorage(root);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('streams a body in, hashing it on the way', async () => {
    const body = randomBytes(1024 * 1024 + 17);
    const res = await storage.put('files/u1/a.bin', chunks(body, 65536));
    expect(res).toEqual({ size: body.length, sha256: sha(body) });
    expect(await readFile(join(root, 'files/u1/a.bin'))).toEqual(body);
    expect(await storage.put('files/u1/b.bin', Buffer.from('hi'))).toEqual({ size: 2, sha256: sha(Buffer.from('hi')) });
  });

  it('sweeps the temp files a killed process left, and only those untouched for the age given', async () => {
    const fresh = new LocalFsStorage(await mkdtemp(join(tmpdir(), 'vgp-storage-sweep-')));
    expect(await fresh.sweepTemp(1000)).toBe(0);
    await mkdir(join(fresh.root, '.tmp'), { recursive: true });
    const old = join(fresh.root, '.tmp', 'abandoned');
    const live = join(fresh.root, '.tmp', 'being-written');
    await writeFile(old, 'half an upload');
    await writeFile(live, 'an upload under way');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(old, hourAgo, hourAgo);
    await fresh.put('files/u1/kept.bin', Buffer.from('kept'));
    expect(await fresh.sweepTemp(30 * 60_000)).toBe(1);
    expect(await readdir(join(fresh.root, '.tmp'))).toEqual(['being-written']);
    expect(await fresh.stat('files/u1/kept.bin')).not.toBeNull();
    await rm(fresh.root, { recursive: true, force: true });
  });

  it('cuts a body off past maxBytes and keeps nothing, not even a temp file', async () => {
    const body = randomBytes(300_000);
    await expect(storage.put('files/u1/big.bin', chunks(body, 10_000), { maxBytes: 100_000 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await storage.stat('files/u1/big.bin')).toBeNull();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    // Exactly at the limit is fine.
    await expect(storage.put('files/u1/exact.bin', body.subarray(0, 100_000), { maxBytes: 100_000 })).resolves.toMatchObject({ size: 100_000 });
  });

  it('hashes and stores a large body arriving in uneven chunks (background flushes on the way)', async () => {
    const body = randomBytes(40 * 1024 * 1024 + 3);
    const res = await storage.put('files/u1/large.bin', chunks(body, 65_537), { maxBytes: body.length });
    expect(res).toEqual({ size: body.length, sha256: sha(body) });
    expect((await readFile(join(root, 'files/u1/large.bin'))).equals(body)).toBe(true);
    await expect(storage.put('files/u1/large2.bin', chunks(body, 65_537), { maxBytes: body.length - 1 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await storage.stat('files/u1/large2.bin')).toBeNull();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('opens a key for sending; a missing key is null', async () => {
    await storage.put('o/a.txt', Buffer.from('0123456789'));
    const file = await storage.openFile('o/a.txt');
    const got: Buffer[] = [];
    const out = new Writable({ write: (c: Buffer, _e, cb) => (got.push(Buffer.from(c)), cb()) });
    await file?.sendTo(out, { start: 3, end: 5 });
    expect(Buffer.concat(got).toString()).toBe('345');
    expect(await storage.openFile('o/missing.txt')).toBeNull();
  });

  it('keeps the previous bytes when a replacing put fails', async () => {
    await storage.put('files/u1/keep.txt', Buffer.from('old'));
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('files/u1/keep.txt', failing)).rejects.toThrow('client went away');
    expect(await text(storage.read('files/u1/keep.txt'))).toBe('old');
  });

  it('stats with a validator that changes with the bytes', async () => {
    await storage.put('v/x.txt', Buffer.from('one'));
    const a = await storage.stat('v/x.txt');
    expect(a).toMatchObject({ size: 3, etag: expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+"$/) });
    await new Promise((r) => setTimeout(r, 5));
    await storage.put('v/x.txt', Buffer.from('three'));
    const b = await storage.stat('v/x.txt');
    expect(b?.size).toBe(5);
    expect(b?.etag).not.toBe(a?.etag);
    expect(await storage.stat('v/missing.txt')).toBeNull();
    expect(await storage.stat('v')).toBeNull();
  });

  it('reads inclusive ranges', async () => {
    await storage.put('r/digits.txt', Buffer.from('0123456789'));
    expect(await text(storage.read('r/digits.txt', { start: 2, end: 4 }))).toBe('234');
    expect(await text(storage.read('r/digits.txt', { start: 9, end: 9 }))).toBe('9');
    expect(await text(storage.read('r/digits.txt'))).toBe('0123456789');
  });

  it('moves a finished local file in with its hash', async () => {
    const src = join(root, '..', `vgp-putfile-${Date.now()}.bin`);
    const body = randomBytes(5000);
    await writeFile(src, body);
    expect(await storage.putFile('videos/u1/j1/video.mp4', src)).toEqual({ size: 5000, sha256: sha(body) });
    expect(existsSync(src)).toBe(false);
    expect(storage.localPath('videos/u1/j1/video.mp4')).toBe(join(root, 'videos/u1/j1/video.mp4'));
  });

  it('lists the blobs under a prefix with their sizes and times, never a temp file', async () => {
    const fresh = new LocalFsStorage(await mkdtemp(join(tmpdir(), 'vgp-storage-list-')));
    const all = async (prefix: string) => {
      const out: Array<{ key: string; size: number }> = [];
      for await (const b of fresh.list(prefix)) {
        expect(Math.abs(b.modified_at.getTime() - Date.now())).toBeLessThan(60_000);
        out.push({ key: b.key, size: b.size });
      }
      return out.sort((a, b) => a.key.localeCompare(b.key));
    };
    expect(await all('files/')).toEqual([]);
    await fresh.put('files/u1/a', Buffer.from('aa'));
    await fresh.put('files/u2/b', Buffer.from('bbb'));
    await fresh.put('videos/u1/j1/video.mp4', Buffer.from('v'));
    await mkdir(join(fresh.root, '.tmp'), { recursive: true });
    await writeFile(join(fresh.root, '.tmp', 'half'), 'x');
    expect(await all('files/')).toEqual([{ key: 'files/u1/a', size: 2 }, { key: 'files/u2/b', size: 3 }]);
    expect(await all('files')).toEqual(await all('files/'));
    expect((await all('')).map((b) => b.key)).toEqual(['files/u1/a', 'files/u2/b', 'videos/u1/j1/video.mp4']);
    expect(await all('nothing/')).toEqual([]);
    await rm(fresh.root, { recursive: true, force: true });
  });

  it('probes that it can be written, leaving nothing behind', async () => {
    const fresh = new LocalFsStorage(await mkdtemp(join(tmpdir(), 'vgp-storage-probe-')));
    await fresh.probeWrite();
    expect(await readdir(join(fresh.root, '.tmp'))).toEqual([]);
    // A root that is a file, not a directory, cannot be written.
    const file = join(fresh.root, 'not-a-dir');
    await writeFile(file, 'x');
    await expect(new LocalFsStorage(file).probeWrite()).rejects.toThrow();
    await rm(fresh.root, { recursive: true, force: true });
  });

  it('deletes a key and a whole prefix', async () => {
    await storage.put('videos/u2/j2/video.mp4', Buffer.from('v'));
    await storage.put('videos/u2/j2/thumbnails/0-small.jpg', Buffer.from('t'));
    await storage.put('videos/u2/j3/video.mp4', Buffer.from('w'));
    await storage.delete('videos/u2/j3/video.mp4');
    expect(await storage.stat('videos/u2/j3/video.mp4')).toBeNull();
    await storage.delete('videos/u2/j3/video.mp4');
    await storage.deletePrefix('videos/u2/j2/');
    expect(await storage.stat('videos/u2/j2/video.mp4')).toBeNull();
    expect(await storage.stat('videos/u2/j2/thumbnails/0-small.jpg')).toBeNull();
  });

  it('refuses keys that could leave the root', async () => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/./b', '', 'a\\b', 'a/b\u0000', '.tmp/../x', 'x'.repeat(600)]) {
      expect(() => assertValidKey(key)).toThrow(InvalidBlobKeyError);
    }
    await expect(storage.put('../escape.txt', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    expect(() => storage.read('../../etc/passwd')).toThrow(InvalidBlobKeyError);
    await expect(storage.deletePrefix('..')).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it('reports capacity', async () => {
    const c = await storage.capacity();
    expect(c.total_bytes).toBeGreaterThan(0);
    expect(c.free_bytes).toBeGreaterThan(0);
    expect(c.free_bytes).toBeLessThanOrEqual(c.total_bytes);
  });

  it('gives a local path to tools, or a temporary copy for drivers without one', async () => {
    await storage.put('l/a.txt', Buffer.from('local'));
    expect(await withLocalFile(storage, 'l/a.txt', async (p) => readFile(p, 'utf8'))).toBe('local');
    const remote = { read: (k: string) => storage.read(k) } as unknown as LocalFsStorage;
    let seen = '';
    expect(await withLocalFile(remote, 'l/a.txt', async (p) => ((seen = p), readFile(p, 'utf8')))).toBe('local');
    expect(seen).not.toContain(root);
    expect(existsSync(seen)).toBe(false);
  });
});
