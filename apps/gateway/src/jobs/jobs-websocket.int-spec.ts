import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestInfra, http, type RunningService, startService, type TestInfra, tokenFor } from '@vgp/testing';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { AppModule } from '../app.module.js';
import { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_APP } from '../gateway.setup.js';

interface RawAnswer {
  status: number;
  head: string;
  body: any;
}

/** The gateway alone on the real NATS: what reaches its upgrade listener, and the WebSocket's rate limit. */
describe('gateway WebSocket upgrades (gateway alone)', () => {
  let infra: TestInfra;
  let gw: RunningService<GatewayConfig>;
  let wsUrl: string;

  beforeAll(async () => {
    infra = await createTestInfra('gateway-ws');
    // A small per-user budget, for the subscribes that count against it.
    gw = await startService({ module: AppModule, ...GATEWAY_APP, env: { ...infra.env, RPC_TIMEOUT_MS: '1500', RATE_LIMIT_USER: '5' } });
    wsUrl = `${gw.url.replace('http', 'ws')}/ws`;
  });

  afterAll(async () => {
    await gw?.close();
    await infra?.cleanup();
  });

  /** The first answer to `raw`, written byte for byte on a fresh connection (a timeout is a hang). */
  const rawAnswer = (raw: string) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const { port, hostname } = new URL(gw.url);
      const sock = connect(Number(port), hostname, () => sock.write(raw));
      let out = Buffer.alloc(0);
      const finish = () => {
        const text = out.toString();
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return false;
        const head = text.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
        const body = out.subarray(Buffer.byteLength(text.slice(0, end + 4)));
        if (Number.isFinite(length) && body.length < length) return false;
        sock.destroy();
        let parsed: unknown = body.toString();
        try {
          parsed = JSON.parse(String(parsed));
        } catch {
          // not JSON
        }
        resolve({ status: Number(head.split(' ')[1]), head, body: parsed });
        return true;
      };
      sock.on('data', (d) => {
        out = Buffer.concat([out, d]);
        finish();
      });
      sock.on('error', reject);
      sock.on('close', () => finish() || reject(new Error(`closed without an answer: ${JSON.stringify(out.toString())}`)));
      sock.setTimeout(4000, () => {
        sock.destroy();
        reject(new Error(`no answer (the request hangs): ${JSON.stringify(out.toString())}`));
      });
    });

  const stillServes = async () => {
    expect((await http('GET', `${gw.url}/health/live`)).status).toBe(200);
  };

  it.each(['//', '//[', '//a:99999/x', '//ws'])('answers a WebSocket upgrade to the target %s and keeps serving', async (target) => {
    const res = await rawAnswer(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 'error', error: { code: 'ROUTE_NOT_FOUND' } });
    await stillServes();
  });

  it('serves a request offering another protocol (curl --http2 offers h2c) as an ordinary request', async () => {
    const h2c = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';
    const live = await rawAnswer(`GET /health/live HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
    expect(live.status).toBe(200);
    expect(live.head).not.toMatch(/^upgrade:/im);
    // Through the API's hooks and guard, in the envelope.
    const jobs = await rawAnswer(`GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
    expect([jobs.status, jobs.body?.error?.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(jobs.head).toMatch(/^x-ratelimit-limit: /im);
    // A body is read as usual.
    const body = JSON.stringify({ configuration: {} });
    const post = await rawAnswer(`POST /api/v1/videos/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${h2c}\r\n${body}`);
    expect([post.status, post.body?.error?.code]).toEqual([401, 'UNAUTHORIZED']);
    // Another upgrade to /ws, or a WebSocket upgrade to another path, is no route.
    const ws = await rawAnswer(`GET /ws HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
    expect([ws.status, ws.body?.error?.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
    const other = await rawAnswer('GET /api/v1/system/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(other.status).not.toBe(101);
    expect(other.body).toMatchObject({ status: expect.any(String) });
    await stillServes();
  });

  it('refuses an upgrade without a token in the envelope and closes; a valid one is served', async () => {
    const refused = await rawAnswer('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect([refused.status, refused.body?.error?.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(refused.head).toMatch(/^connection: close$/im);
    const ws = new WebSocket(`${wsUrl}?token=${await tokenFor('ws-pinger')}`);
    const pong = new Promise((resolve) => ws.on('message', (m) => resolve(JSON.parse(String(m)))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'ping' }));
    expect(await pong).toEqual({ type: 'pong' });
    ws.close();
  });

  it('counts every subscribe against the caller\'s rate limit and answers RATE_LIMIT_EXCEEDED on the socket', async () => {
    const token = await tokenFor('ws-flooder');
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    const messages: any[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // The upgrade spent 1 of 5; each subscribe (the jobs service is not there: it answers an error) spends 1.
    const ids = Array.from({ length: 8 }, () => randomUUID().toUpperCase());
    for (const id of ids) ws.send(JSON.stringify({ type: 'subscribe', job_id: id }));
    const deadline = Date.now() + 10_000;
    while (messages.length < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(messages).toHaveLength(ids.length);
    expect(messages.every((m) => m.type === 'error')).toBe(true);
    const limited = messages.filter((m) => m.code === 'RATE_LIMIT_EXCEEDED');
    expect(limited).toHaveLength(4);
    expect(limited[0]).toMatchObject({ message: expect.any(String), details: { retry_after: expect.any(Number), limit: 5, remaining: 0 } });
    // Answers name the job in lower case, as its events do.
    expect(new Set(messages.map((m) => m.job_id))).toEqual(new Set(ids.map((id) => id.toLowerCase())));
    // The same budget as the HTTP API's.
    const res = await http('GET', `${gw.url}/api/v1/jobs`, { token });
    expect([res.status, res.body.error.code]).toEqual([429, 'RATE_LIMIT_EXCEEDED']);
    // Pings are not counted.
    const pong = new Promise((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m)))));
    ws.send(JSON.stringify({ type: 'ping' }));
    expect(await pong).toEqual({ type: 'pong' });
    ws.close();
    await stillServes();
  });
});
