import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ExtraErrorCode } from '@vgp/contracts';
import { MetricNames, MetricsService } from '@vgp/observability';
import { type BlobStorage, type ByteRange, LocalFsStorage } from '@vgp/storage';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BlobResponder } from './blob-responder.js';

/** The real local storage, counting what is read from it: `openFile` (the local driver's GET) and `read` (every other driver's). */
class CountingStorage extends LocalFsStorage {
  opened = 0;
  reads = 0;
  override openFile(key: string) {
    this.opened++;
    return super.openFile(key);
  }
  override read(key: string, range?: ByteRange): Readable {
    this.reads++;
    return super.read(key, range);
  }
}

/** A driver without `openFile` (its bytes go through Fastify as a stream, as an S3 driver's would), over the same files. */
const streamingOnly = (s: CountingStorage): BlobStorage => ({
  driver: 'remote',
  put: (key, body, opts) => s.put(key, body, opts),
  putFile: (key, path) => s.putFile(key, path),
  stat: (key) => s.stat(key),
  read: (key, range) => s.read(key, range),
  delete: (key) => s.delete(key),
  deletePrefix: (prefix) => s.deletePrefix(prefix),
  list: (prefix) => s.list(prefix),
  capacity: () => s.capacity(),
});

/** BlobResponder on a real Fastify server (HEAD routes exposed for every GET, as in the gateway) over real files. */
describe('BlobResponder: HEAD answers the head of a GET and reads nothing', () => {
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  let storage: CountingStorage;
  let metrics: MetricsService;
  const body = randomBytes(3 * 1024 * 1024 + 17);

  const streamed = async () => {
    const m = (await metrics.registry.getSingleMetric(MetricNames.streamedBytes)?.get())?.values ?? [];
    return m.reduce((n, v) => n + v.value, 0);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vgp-blob-head-'));
    storage = new CountingStorage(dir);
    await storage.put('files/u1/a.bin', body);
    await storage.put('files/u1/empty.bin', Buffer.alloc(0));
    metrics = new MetricsService({ service: 'gateway', version: 'test' });
    const local = new BlobResponder(storage, metrics);
    const remote = new BlobResponder(streamingOnly(storage), metrics);
    // Closing ends the test client's (fetch's) keep-alive sockets too: Node did not count the one
    // that carried a 304 and then a streamed GET as idle, and `close()` waited for it.
    app = Fastify({ forceCloseConnections: true });
    for (const [prefix, responder] of [['local', local], ['remote', remote]] as const) {
      app.get(`/${prefix}/:name`, async (req, reply) => {
        await responder.send(req, reply, {
          key: `files/u1/${(req.params as { name: string }).name}`,
          contentType: 'application/octet-stream',
          filename: 'a.bin',
          disposition: 'attachment',
          notFoundCode: ExtraErrorCode.FILE_NOT_FOUND,
          cache: 'private',
        });
      });
    }
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The headers that describe the representation, without the date of the answer. */
  const described = (h: Headers) => {
    const all = Object.fromEntries(h.entries());
    delete all.date;
    delete all.connection;
    delete all['keep-alive'];
    return all;
  };

  it.each(['local', 'remote'])('%s driver: the same status and headers as GET, no body, no bytes read or counted', async (driver) => {
    for (const headers of [{}, { range: 'bytes=100-1123' }, { range: 'bytes=-10' }] as Record<string, string>[]) {
      const get = await fetch(`${base}/${driver}/a.bin`, { headers });
      const got = Buffer.from(await get.arrayBuffer());
      const [opened, reads, counted] = [storage.opened, storage.reads, await streamed()];

      const head = await fetch(`${base}/${driver}/a.bin`, { method: 'HEAD', headers });
      expect(Buffer.from(await head.arrayBuffer())).toHaveLength(0);
      expect([head.status, described(head.headers)]).toEqual([get.status, described(get.headers)]);
      expect(head.headers.get('content-length')).toBe(String(got.length));
      expect([storage.opened, storage.reads, await streamed()]).toEqual([opened, reads, counted]);
    }
    const part = await fetch(`${base}/${driver}/a.bin`, { method: 'HEAD', headers: { range: 'bytes=100-1123' } });
    expect([part.status, part.headers.get('content-range'), part.headers.get('content-length')]).toEqual([206, `bytes 100-1123/${body.length}`, '1024']);
    const full = await fetch(`${base}/${driver}/a.bin`, { method: 'HEAD' });
    expect([full.status, full.headers.get('content-length'), full.headers.get('accept-ranges'), full.headers.get('content-type')]).toEqual([
      200,
      String(body.length),
      'bytes',
      'application/octet-stream',
    ]);
    expect(full.headers.get('etag')).toMatch(/^"/);
  });

  it('answers a conditional HEAD 304 and an empty blob 200 with Content-Length 0, reading nothing', async () => {
    const etag = (await fetch(`${base}/local/a.bin`, { method: 'HEAD' })).headers.get('etag') as string;
    const [opened, reads, counted] = [storage.opened, storage.reads, await streamed()];
    const notModified = await fetch(`${base}/local/a.bin`, { method: 'HEAD', headers: { 'if-none-match': etag } });
    expect([notModified.status, notModified.headers.get('etag')]).toEqual([304, etag]);
    const getNotModified = await fetch(`${base}/local/a.bin`, { headers: { 'if-none-match': etag } });
    expect((await getNotModified.arrayBuffer()).byteLength).toBe(0);
    expect(described(notModified.headers)).toEqual(described(getNotModified.headers));
    const empty = await fetch(`${base}/remote/empty.bin`, { method: 'HEAD' });
    expect([empty.status, empty.headers.get('content-length')]).toEqual([200, '0']);
    expect([storage.opened, storage.reads, await streamed()]).toEqual([opened, reads, counted]);
    // GET still reads and counts.
    const get = await fetch(`${base}/remote/a.bin`);
    expect(Buffer.from(await get.arrayBuffer()).equals(body)).toBe(true);
    expect([storage.reads, await streamed()]).toEqual([reads + 1, counted + body.length]);
  });
});
