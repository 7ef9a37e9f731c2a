import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '@vgp/contracts';
import { randomUUID } from 'node:crypto';
import { NatsClient } from './nats.client.js';
import { TurnBatcher } from './turn-batcher.js';
import { encodeReply } from './wire.js';

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

  it('answers 503 at once when nobody serves the subject, and after the connection is closed', async () => {
    await expect(client.request('nobody-here', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    await nc.close();
    const started = Date.now();
    const err = await client.request('echo', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
