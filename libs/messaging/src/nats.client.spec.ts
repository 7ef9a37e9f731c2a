import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '@vgp/contracts';
import { randomUUID } from 'node:crypto';
import { type HandledMessage, mayHoldUnstorableText, NatsRpcServer } from './nats-rpc.server.js';
import { NatsClient } from './nats.client.js';
import { TurnBatcher } from './turn-batcher.js';
import { BATCH_HEADER, encodeReply } from './wire.js';

// The real NATS of the machine (or TEST_NATS_URL), under a subject prefix of this run's own.
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('TurnBatcher', () => {
  it('runs the writes of one turn together at its end, in order, and goes on past a failing one', async () => {
    const errors: unknown[] = [];
    const batcher = new TurnBatcher((err) => errors.push(err));
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) {
      batcher.run(() => {
        if (i === 2) throw new Error('boom');
        ran.push(i);
      });
    }
    expect(ran).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([0, 1, 3, 4]);
    expect(errors).toHaveLength(1);
    batcher.run(() => ran.push(9));
    batcher.flush();
    expect(ran).toEqual([0, 1, 3, 4, 9]);
  });
});

describe('NatsClient on the real NATS', () => {
  const prefix = `t${randomUUID().slice(0, 8)}.`;
  let server: NatsConnection;
  let nc: NatsConnection;
  let client: NatsClient;
  const seen: number[] = [];

  beforeAll(async () => {
    server = await connect({ servers: NATS_URL });
    server.subscribe(`${prefix}echo`, {
      callback: (_err, msg) => {
        const n = msg.json<number>();
        seen.push(n);
        msg.respond(encodeReply({ d: n * 2 }));
      },
    });
    await server.flush();
    nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    client = new NatsClient(nc, { subjectPrefix: prefix, timeoutMs: 2000 });
  });

  afterAll(async () => {
    await server?.close();
    if (!nc.isClosed()) await nc.close();
  });

  it('answers every request of one turn, sent in the order asked', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => client.request<number>('echo', i)));
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => i * 2));
    expect(seen.slice(-200)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('answers 503 when a server takes the request and never replies, after the timeout', async () => {
    server.subscribe(`${prefix}silent`, { callback: () => undefined });
    await server.flush();
    const started = Date.now();
    await expect(client.request('silent', {}, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // A late reply to a request that gave up goes nowhere, and the next requests are unaffected.
    expect(await client.request<number>('echo', 21)).toBe(42);
  });

  it('answers 503 at once when nobody serves the subject, and after the connection is closed', async () => {
    const asked = Date.now();
    await expect(client.request('nobody-here', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(Date.now() - asked).toBeLessThan(1000);
    await nc.close();
    const started = Date.now();
    const err = await client.request('echo', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('Batched requests through NatsRpcServer on the real NATS', () => {
  const prefix = `b${randomUUID().slice(0, 8)}.`;
  let server: NatsRpcServer;
  let nc: NatsConnection;
  let watcher: NatsConnection;
  let client: NatsClient;
  const messages: number[] = [];
  const handled: HandledMessage[] = [];

  beforeAll(async () => {
    server = new NatsRpcServer({ servers: NATS_URL, queue: 'batch-test', subjectPrefix: prefix, onHandled: (m) => handled.push(m) });
    server.addHandler('double', async (n: unknown) => {
      if (typeof n !== 'number') throw AppError.validation([{ field: 'n', message: 'n must be a number', code: 'INVALID_TYPE' }]);
      if (n < 0) throw new AppError('QUOTA_EXCEEDED', 429, `no ${n}`, { n });
      await new Promise((r) => setTimeout(r, n % 3));
      return n * 2;
    });
    server.addHandler('length', async (s: unknown) => String(s).length);
    server.addHandler('echo', async (v: unknown) => v);
    server.addHandler('boom', async () => {
      throw new Error('a bug');
    });
    server.addHandler('repeat', async (v: unknown) => {
      const { s, n } = v as { s: string; n: number };
      return s.repeat(n);
    });
    await new Promise<void>((resolve, reject) => server.listen((err?: unknown) => (err ? reject(err) : resolve())));
    // A plain subscriber beside the queue group sees every message sent on the subject.
    watcher = await connect({ servers: NATS_URL });
    const count = (_e: unknown, m: Msg) => {
      messages.push(m.headers?.has(BATCH_HEADER) ? Number(m.headers.get(BATCH_HEADER)) : 1);
    };
    watcher.subscribe(`${prefix}double`, { callback: count });
    watcher.subscribe(`${prefix}length`, { callback: count });
    await watcher.flush();
    nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    client = new NatsClient(nc, { subjectPrefix: prefix, timeoutMs: 2000 });
  });

  afterAll(async () => {
    await server?.close();
    await watcher?.close();
    if (!nc.isClosed()) await nc.close();
  });

  it('answers 413 at once for a request no message can carry, alone or batched, and the others of its turn still go', async () => {
    const max = nc.info?.max_payload ?? 1024 * 1024;
    // In bytes of UTF-8: fewer characters than the limit, more bytes.
    const huge = 'é'.repeat(Math.ceil(max / 2));
    const started = Date.now();
    await expect(client.request('echo', huge)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    const [big, small] = await Promise.allSettled([client.requestBatched('length', huge), client.requestBatched<number>('length', 'abc')]);
    expect(big).toMatchObject({ status: 'rejected', reason: { code: 'PAYLOAD_TOO_LARGE', status: 413 } });
    expect(small).toEqual({ status: 'fulfilled', value: 3 });
    expect(Date.now() - started).toBeLessThan(1000);
    // What fits is sent: 200 KiB of text.
    expect(await client.request<number>('length', 'x'.repeat(200 * 1024))).toBe(200 * 1024);
  });

  it('counts a refusal (4xx) as rejected and only a failure (5xx, an exception) as an error, alone and batched', async () => {
    handled.length = 0;
    await Promise.allSettled([client.request('double', 'x'), client.request('double', -1), client.request('boom', 1), client.request('double', 2)]);
    await Promise.allSettled([client.requestBatched('double', 'y'), client.requestBatched('boom', 2), client.requestBatched('double', 3)]);
    const by = (subject: string) => handled.filter((m) => m.subject === subject).map((m) => m.outcome).sort();
    expect(by('double')).toEqual(['ok', 'ok', 'rejected', 'rejected', 'rejected']);
    expect(by('boom')).toEqual(['error', 'error']);
  });

  it('answers 500 at once when the answer is larger than a message can carry, instead of timing out', async () => {
    const max = nc.info?.max_payload ?? 1024 * 1024;
    const started = Date.now();
    await expect(client.request('repeat', { s: 'x'.repeat(1024), n: Math.ceil(max / 1024) + 1 })).rejects.toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await client.request<string>('repeat', { s: 'ab', n: 3 })).toBe('ababab');
  });

  it('sends the requests of one turn as one message and settles each with its own answer or error', async () => {
    messages.length = 0;
    const inputs = [...Array.from({ length: 60 }, (_, i) => i), -1, 'x', 7, -2];
    const settled = await Promise.allSettled(inputs.map((n) => client.requestBatched<number>('double', n, { requestId: `req_${String(n)}` })));
    // The watcher's copies were routed before the answers; its own round trip makes sure they arrived.
    await watcher.flush();
    expect(messages).toEqual([inputs.length]);
    settled.forEach((s, i) => {
      const n = inputs[i];
      if (typeof n === 'number' && n >= 0) expect(s).toEqual({ status: 'fulfilled', value: n * 2 });
      else expect(s.status).toBe('rejected');
    });
    const quota = (settled[60] as PromiseRejectedResult).reason as AppError;
    expect(quota).toBeInstanceOf(AppError);
    expect(quota).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429, details: { n: -1 } });
    expect(((settled[61] as PromiseRejectedResult).reason as AppError).field_errors).toEqual([{ field: 'n', message: 'n must be a number', code: 'INVALID_TYPE' }]);
  });

  it('gives the requests of later turns messages of their own', async () => {
    messages.length = 0;
    const first = client.requestBatched<number>('double', 1);
    await new Promise((r) => setImmediate(r));
    const second = Promise.all([client.requestBatched<number>('double', 2), client.requestBatched<number>('double', 3)]);
    expect(await first).toBe(2);
    expect(await second).toEqual([4, 6]);
    expect(messages).toEqual([1, 2]);
  });

  it('splits a turn whose requests would make too large a message', async () => {
    messages.length = 0;
    const big = 'x'.repeat(100_000);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => client.requestBatched<number>('length', big + i)));
    expect(answers).toEqual(Array.from({ length: 6 }, () => 100_001));
    // 256 KiB at most per message: two requests of 100 kB each.
    await watcher.flush();
    expect(messages).toEqual([2, 2, 2]);
    const many = await Promise.all(Array.from({ length: 450 }, (_, i) => client.requestBatched<number>('length', i)));
    expect(many[449]).toBe(3);
    await watcher.flush();
    expect(messages.slice(3)).toEqual([200, 200, 50]);
  });

  it('answers every request of a batch 503 when nobody serves the subject', async () => {
    const settled = await Promise.allSettled([client.requestBatched('nobody-here', 1), client.requestBatched('nobody-here', 2)]);
    for (const s of settled) expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });

  it('answers a request holding a NUL character 422 naming where, without running its handler, and refuses only those of a batch', async () => {
    const nul = (v: unknown) => client.request('echo', v).catch((e: AppError) => e);
    expect(await nul({ changes: { tags: ['ok', 'a\0'] } })).toMatchObject({
      code: 'VALIDATION_ERROR',
      status: 422,
      field_errors: [{ field: 'changes.tags[1]', code: 'INVALID_VALUE', message: 'Text must not contain NUL characters (U+0000)' }],
    });
    expect(await nul({ 'k\0': 1 })).toMatchObject({ status: 422, field_errors: [{ field: 'payload' }] });
    // The escape as text is no NUL.
    expect(await client.request('echo', { t: '\\u0000 and \\\\u0000' })).toEqual({ t: '\\u0000 and \\\\u0000' });
    const settled = await Promise.allSettled(['a', 'b\0', 'c'].map((v) => client.requestBatched<number>('length', v)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as AppError).status))).toEqual([1, 422, 1]);
  });
});

describe('mayHoldUnstorableText', () => {
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

  it('finds the JSON escape of a NUL character or of a lone surrogate anywhere, and nothing in messages without one', () => {
    expect(mayHoldUnstorableText(bytes({ a: 'x\0' }))).toBe(true);
    expect(mayHoldUnstorableText(bytes(['\0']))).toBe(true);
    expect(mayHoldUnstorableText(bytes({ a: 'quote " back \\ slash', b: 'line\nbreak \u0001', n: 1 }))).toBe(false);
    expect(mayHoldUnstorableText(bytes({ a: 'ends with a backslash \\' }))).toBe(false);
    expect(mayHoldUnstorableText(new Uint8Array(0))).toBe(false);
    // An escaped backslash before "u0000" is a false alarm the walk clears, never a miss.
    expect(mayHoldUnstorableText(bytes({ a: '\\u0000' }))).toBe(true);
    // Lone surrogates, written as escapes by JSON.stringify; a pair is escaped only by other encoders.
    expect(mayHoldUnstorableText(bytes({ a: 'x\ud800' }))).toBe(true);
    expect(mayHoldUnstorableText(new TextEncoder().encode('{"a":"\\uDFFF"}'))).toBe(true);
    expect(mayHoldUnstorableText(bytes({ a: 'a pair: \ud83d\ude00' }))).toBe(false);
    expect(mayHoldUnstorableText(bytes({ a: 'escaped backslash: \\udc00' }))).toBe(true);
  });
});

describe('NatsRpcServer on its process client connection', () => {
  it('answers on the shared connection beside the client publishes, and closing it leaves the connection open', async () => {
    const prefix = `s${randomUUID().slice(0, 8)}.`;
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    const client = new NatsClient(nc, { subjectPrefix: prefix, timeoutMs: 2000 });
    const server = new NatsRpcServer({ servers: 'nats://127.0.0.1:1', queue: 'shared-test', subjectPrefix: prefix, connection: () => nc });
    server.addHandler('announce', async (n: unknown) => {
      client.publish('announced', n);
      return n;
    });
    // The server never dials its own URL (nothing listens there): it uses the given connection.
    await new Promise<void>((resolve, reject) => server.listen((err?: unknown) => (err ? reject(err) : resolve())));
    const caller = await connect({ servers: NATS_URL });
    const seen: number[] = [];
    caller.subscribe(`${prefix}announced`, {
      callback: (_e, m) => {
        seen.push(m.json<number>());
      },
    });
    await caller.flush();
    const sent = nc.stats().outMsgs;
    const replies = await Promise.all([1, 2, 3].map((n) => caller.request(`${prefix}announce`, JSON.stringify(n), { timeout: 2000 }).then((m) => m.json<{ d: number }>().d)));
    expect(replies).toEqual([1, 2, 3]);
    await waitFor(() => seen.length === 3);
    expect(nc.stats().outMsgs - sent).toBe(6);
    await server.close();
    expect(nc.isClosed()).toBe(false);
    expect(await client.request('nobody', 1).catch((e: AppError) => e.status)).toBe(503);
    await caller.close();
    await nc.close();
  });
});

async function waitFor(ok: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
