import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { http, REPO_ROOT, spawnService, tokenFor, waitFor } from '@vgp/testing';
import pg from 'pg';
import WebSocket from 'ws';
import { type Platform, startPlatform } from './platform.js';

const configuration = { topic: 'Pythagorean theorem', context: 'Right triangles, for 8th graders', quality: 'low' };
const body = { configuration };

interface TestWorker {
  proc: ChildProcess;
  lines: string[];
  has(line: string): boolean;
}

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A Server-Sent Events client on fetch: collects events until the stream ends or is closed. */
function sse(url: string, token: string | undefined, lastEventId?: string) {
  const events: SseEvent[] = [];
  const ctrl = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const done = (async () => {
    const res = await fetch(url, { headers, signal: ctrl.signal });
    if (res.status !== 200) return res.status;
    if (!res.body) return res.status;
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return 200;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev: SseEvent = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) ev.id = line.slice(4);
          else if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('data: ')) ev.data += line.slice(6);
        }
        if (ev.data) events.push(ev);
      }
    }
  })().catch((err: Error) => (err.name === 'AbortError' ? 0 : Promise.reject(err)));
  return { events, done, close: () => ctrl.abort() };
}

describe('jobs, end to end (gateway, jobs service, test workers)', () => {
  let p: Platform;
  let db: pg.Client;
  const workers: TestWorker[] = [];

  const startWorker = (id: string, stepMs: number): TestWorker => {
    const proc = spawn(process.execPath, [resolve(REPO_ROOT, 'e2e', 'src', 'jobs-test-worker.mjs')], {
      env: { PATH: process.env.PATH ?? '', NATS_URL: p.env.NATS_URL, NATS_SUBJECT_PREFIX: p.env.NATS_SUBJECT_PREFIX ?? '', WORKER_ID: id, STEP_MS: String(stepMs) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const w: TestWorker = { proc, lines: [], has: (l) => w.lines.includes(l) };
    proc.stdout?.on('data', (b: Buffer) => w.lines.push(...b.toString().split('\n').filter(Boolean)));
    workers.push(w);
    return w;
  };
  const stopWorker = (w: TestWorker, signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<void>((res) => {
      if (w.proc.exitCode !== null || w.proc.signalCode !== null) return res();
      w.proc.once('exit', () => res());
      w.proc.kill(signal);
    });
  const status = async (id: string, token: string) => (await http('GET', `${p.api}/jobs/${id}`, { token })).body.data;

  beforeAll(async () => {
    p = await startPlatform('jobs', { RPC_TIMEOUT_MS: '3000', JOB_LEASE_SECONDS: '2', JOB_REAPER_INTERVAL_MS: '300', JOB_RETRY_BASE_MS: '100' }, ['users', 'jobs', 'gateway']);
    db = new pg.Client({ connectionString: p.infra.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await db?.end();
    await p?.stop();
  });

  it('accepts exactly the quota under 20 concurrent creates; 429 carries Retry-After; /users/me/quota reports it', async () => {
    const token = await tokenFor('e2e-quota');
    const res = await Promise.all(Array.from({ length: 20 }, () => http('POST', `${p.api}/videos/generate`, { token, body })));
    expect(res.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = res.filter((r) => r.status === 429);
    expect(refused).toHaveLength(17);
    expect(refused[0].body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { limit: 3, current: 3, remaining: 0, retry_after: expect.any(Number), reset_at: expect.any(String) } });
    expect(Number(refused[0].headers.get('retry-after'))).toBeGreaterThan(0);
    const quota = await http('GET', `${p.api}/users/me/quota`, { token });
    expect(quota.body.data).toMatchObject({ user_id: 'e2e-quota', max_concurrent_jobs: 3, active_jobs: 3, jobs_today: 3, day_resets_at: expect.any(String) });
    const queue = await http('GET', `${p.api}/system/queue-status`, { token });
    expect(queue.body.data).toMatchObject({ queue_length: expect.any(Number), by_priority: expect.any(Object), running_jobs: 0 });
    // Free the quota for the tests below.
    for (const r of res.filter((x) => x.status === 201)) await http('DELETE', `${p.api}/jobs/${r.body.data.job_id}`, { token });
  });

  it('honours Idempotency-Key, rejects unknown models and creates batches', async () => {
    const token = await tokenFor('e2e-idem');
    const headers = { 'idempotency-key': 'order-42' };
    const a = await http('POST', `${p.api}/videos/generate`, { token, body, headers });
    const b = await http('POST', `${p.api}/videos/generate`, { token, body, headers });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.data.job_id).toBe(a.body.data.job_id);
    const c = await http('POST', `${p.api}/videos/generate`, { token, body: { ...body, priority: 'high' }, headers });
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe('CONFLICT');
    const model = await http('POST', `${p.api}/videos/generate`, { token, body: { configuration: { ...configuration, model: 'nope' } } });
    expect(model.status).toBe(422);
    expect(model.body.error.field_errors).toEqual([expect.objectContaining({ field: 'configuration.model', code: 'INVALID_VALUE' })]);
    await http('DELETE', `${p.api}/jobs/${a.body.data.job_id}`, { token });

    const batch = await http('POST', `${p.api}/videos/batch`, { token, body: { jobs: [{ configuration }, { configuration, priority: 'high' }] } });
    expect(batch.status).toBe(201);
    expect(batch.body.data).toMatchObject({ batch_id: expect.any(String), parent_job: { status: 'queued' }, job_ids: [expect.any(String), expect.any(String)] });
    const list = await http('GET', `${p.api}/jobs?batch_id=${batch.body.data.batch_id}&sort_by=priority&sort_order=desc`, { token });
    expect(list.body.data.pagination.total_items).toBe(3);
    expect(list.body.data.items[0].priority).toBe('high');
    const cancel = await http('POST', `${p.api}/jobs/${batch.body.data.parent_job.job_id}/cancel`, { token });
    expect(cancel.status).toBe(200);
    for (const id of batch.body.data.job_ids) expect((await status(id, token)).status).toBe('cancelled');
    const again = await http('POST', `${p.api}/jobs/${batch.body.data.parent_job.job_id}/cancel`, { token });
    expect([again.status, again.body.error.code]).toEqual([409, 'JOB_CANNOT_BE_CANCELLED']);
    const bad = await http('GET', `${p.api}/jobs?all=true`, { token });
    expect(bad.status).toBe(403);
  });

  it('streams a job over SSE with ids, resumes from Last-Event-ID without gaps, and over WebSocket; strangers get 404', async () => {
    const token = await tokenFor('e2e-live');
    const created = await http('POST', `${p.api}/videos/generate`, { token, body });
    const id = created.body.data.job_id;
    const stranger = sse(`${p.api}/jobs/${id}/events`, await tokenFor('e2e-stranger'));
    expect(await stranger.done).toBe(404);

    const ws = new WebSocket(`${p.api.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
    const wsMsgs: any[] = [];
    ws.on('message', (d) => wsMsgs.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', job_id: id }));
    await waitFor(() => wsMsgs.some((m) => m.type === 'subscribed'), { what: 'ws subscribed' });

    const live = sse(`${p.api}/jobs/${id}/events`, token);
    await waitFor(() => live.events.length >= 1, { what: 'first SSE event' });
    const w = startWorker('live-worker', 150);
    expect(await live.done).toBe(200);
    const seqs = live.events.filter((e) => e.event !== 'end').map((e) => Number(e.id));
    expect(seqs[0]).toBe(0);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    const last = JSON.parse(live.events[live.events.length - 2].data);
    expect(last).toMatchObject({ job_id: id, status: 'completed', progress: { percentage: 100 } });
    expect(live.events[live.events.length - 1].event).toBe('end');
    expect(live.events.some((e) => e.event === 'stage')).toBe(true);

    const resumed = sse(`${p.api}/jobs/${id}/events`, token, '2');
    expect(await resumed.done).toBe(200);
    expect(resumed.events.filter((e) => e.event !== 'end').map((e) => Number(e.id))).toEqual(seqs.slice(3));
    // A browser's EventSource sends no headers: the token and the resume point go in the query.
    const fromBrowser = sse(`${p.api}/jobs/${id}/events?token=${token}&last_event_id=2`, undefined);
    expect(await fromBrowser.done).toBe(200);
    expect(fromBrowser.events.filter((e) => e.event !== 'end').map((e) => Number(e.id))).toEqual(seqs.slice(3));
    expect(await sse(`${p.api}/jobs/${id}/events?token=not-a-token`, undefined).done).toBe(401);
    // Only that route reads a token from the query.
    expect((await http('GET', `${p.api}/jobs/${id}?token=${token}`)).status).toBe(401);

    await waitFor(() => wsMsgs.some((m) => m.type === 'event' && m.event.status === 'completed'), { what: 'ws completed' });
    const wsSeqs = wsMsgs.filter((m) => m.type === 'event').map((m) => m.event.seq);
    expect(wsSeqs).toEqual([...wsSeqs].sort((a, b) => a - b));
    ws.send(JSON.stringify({ type: 'subscribe', job_id: (await http('POST', `${p.api}/videos/generate`, { token: await tokenFor('e2e-other'), body })).body.data.job_id }));
    await waitFor(() => wsMsgs.some((m) => m.type === 'error' && m.code === 'JOB_NOT_FOUND'), { what: 'ws foreign job refused' });
    ws.close();
    const logs = await http('GET', `${p.api}/jobs/${id}/logs?items_per_page=100`, { token });
    expect(logs.body.data.items.filter((l: { message: string }) => l.message.startsWith('Completed by'))).toHaveLength(1);
    await stopWorker(w);
  });

  it('closes a WebSocket that sends a frame over 64 KiB (1009) or drops mid-upgrade, and serves on', async () => {
    const token = await tokenFor('e2e-ws-abuse');
    const url = `${p.api.replace('http', 'ws')}/ws`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send(Buffer.alloc(65 * 1024, 0x61));
    expect(await closed).toBe(1009);
    // A client gone while the gateway authenticates its upgrade.
    const dropped = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    dropped.on('error', () => undefined);
    dropped.once('upgrade', () => undefined);
    setImmediate(() => dropped.terminate());
    const again = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const pong = new Promise((resolve) => again.on('message', (m) => JSON.parse(String(m)).type === 'pong' && resolve(true)));
    again.once('open', () => again.send(JSON.stringify({ type: 'ping' })));
    expect(await pong).toBe(true);
    again.close();
    expect((await http('GET', `${p.api}/jobs`, { token })).status).toBe(200);
  });

  /** Writes `raw` on a fresh connection to the gateway; resolves with what came back before it closed or `waitMs` passed. */
  const rawRequest = (raw: string, opts: { waitMs?: number; leave?: boolean } = {}) =>
    new Promise<string>((resolve, reject) => {
      const gw = new URL(p.api);
      const sock = connect(Number(gw.port), gw.hostname, () => {
        sock.write(raw);
        // A client that leaves at once, before any answer.
        if (opts.leave) sock.destroy();
      });
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('error', reject);
      sock.on('close', () => resolve(out));
      setTimeout(() => {
        sock.destroy();
        resolve(out);
      }, opts.waitMs ?? 3000);
    });
  const sseClients = async () => {
    const text = (await http('GET', `${p.service('gateway').url}/metrics`)).text;
    return Number(/^gateway_sse_clients(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
  };
  /** Jobs of the live-update tests below, deleted after each (a job left queued would be claimed before the next tests' jobs). */
  const created: Array<[string, string]> = [];
  const create = async (token: string): Promise<string> => {
    const id: string = (await http('POST', `${p.api}/videos/generate`, { token, body })).body.data.job_id;
    created.push([id, token]);
    return id;
  };
  afterEach(async () => {
    for (const [id, token] of created.splice(0)) await http('DELETE', `${p.api}/jobs/${id}`, { token });
  });
  const wsClient = async (token: string) => {
    const ws = new WebSocket(`${p.api.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
    const msgs: any[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return { ws, msgs };
  };

  it('ends a user\'s live streams when their account changes (a role taken away): the reconnection is authorised afresh', async () => {
    const userId = `e2e-demoted-${randomUUID().slice(0, 8)}`;
    const token = await tokenFor(userId);
    const admin = await tokenFor('e2e-admin', 'admin');
    const id = await create(token);
    const live = sse(`${p.api}/jobs/${id}/events`, token);
    const { ws, msgs } = await wsClient(token);
    ws.send(JSON.stringify({ type: 'subscribe', job_id: id }));
    await waitFor(() => live.events.length > 0 && msgs.some((m) => m.type === 'subscribed'), { what: 'both streams open' });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const changed = await http('PATCH', `${p.api}/users/${userId}/permissions`, { token: admin, body: { max_daily_jobs: 20 } });
    expect(changed.status).toBe(200);
    // Both end within moments, on this replica and on any other (users.v1.user.updated).
    expect(await closed).toBe(4001);
    expect(await Promise.race([live.done, new Promise((r) => setTimeout(() => r('still open'), 3000))])).toBe(200);
    // The client reconnects and resumes; the stream is authorised by the account as it is now.
    const again = sse(`${p.api}/jobs/${id}/events`, token, live.events.at(-1)?.id);
    await http('POST', `${p.api}/jobs/${id}/cancel`, { token });
    expect(await again.done).toBe(200);
    expect(again.events.some((e) => e.event === 'status' && JSON.parse(e.data).status === 'cancelled')).toBe(true);
  });

  it('answers a WebSocket upgrade to a malformed target, serves another upgrade offer (h2c) as a request, and serves on', async () => {
    for (const target of ['//', '//[', '//a:99999/x']) {
      const answer = await rawRequest(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, { waitMs: 500 });
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    }
    const h2c = await rawRequest('GET /api/v1/system/queue-status HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
    expect(h2c).toMatch(/^HTTP\/1\.1 401 /);
    expect(h2c).toContain('"code":"UNAUTHORIZED"');
    // The gateway process is still there.
    expect((await http('GET', `${p.api}/jobs`, { token: await tokenFor('e2e-upgrade') })).status).toBe(200);
  });

  it('follows a job named in upper case over SSE, WebSocket and the status route, to its end', async () => {
    const token = await tokenFor('e2e-upper');
    const id = await create(token);
    const upper = id.toUpperCase();
    const live = sse(`${p.api}/jobs/${upper}/events`, token);
    const { ws, msgs } = await wsClient(token);
    ws.send(JSON.stringify({ type: 'subscribe', job_id: upper }));
    await waitFor(() => live.events.length >= 1 && msgs.some((m) => m.type === 'event'), { what: 'the current state over SSE and WebSocket' });
    const status = await http('GET', `${p.api}/videos/jobs/${upper}/status`, { token });
    expect([status.status, status.body.data.job_id, status.body.data.status]).toEqual([200, id, 'queued']);
    expect((await http('GET', `${p.api}/jobs/${upper}`, { token })).body.data.id).toBe(id);
    expect((await http('POST', `${p.api}/jobs/${upper}/cancel`, { token })).status).toBe(200);
    // The cancellation is an event of the job: both clients get it, and the stream ends.
    await waitFor(() => live.events.some((e) => e.event === 'end'), { what: 'the SSE stream of an upper-case id to end' });
    expect(live.events.map((e) => e.event)).toEqual(['status', 'status', 'end']);
    expect(JSON.parse(live.events[1].data)).toMatchObject({ job_id: id, status: 'cancelled' });
    expect(await live.done).toBe(200);
    await waitFor(() => msgs.some((m) => m.type === 'event' && m.event.status === 'cancelled'), { what: 'the cancellation over WebSocket' });
    // Answers name the job as its events do, in lower case.
    expect(msgs[0]).toEqual({ type: 'subscribed', job_id: id });
    ws.send(JSON.stringify({ type: 'unsubscribe', job_id: upper }));
    await waitFor(() => msgs.some((m) => m.type === 'unsubscribed' && m.job_id === id), { what: 'unsubscribed' });
    ws.close();
    expect((await http('GET', `${p.api}/videos/jobs/${upper}/status`, { token })).body.data.status).toBe('cancelled');
  });

  it('resumes from the current state after a Last-Event-ID beyond the job\'s events; refuses a malformed one', async () => {
    const token = await tokenFor('e2e-resume');
    const id = await create(token);
    const beyond = sse(`${p.api}/jobs/${id}/events`, token, '999999999');
    const { ws, msgs } = await wsClient(token);
    ws.send(JSON.stringify({ type: 'subscribe', job_id: id, last_event_id: 1e308 }));
    await waitFor(() => beyond.events.length >= 1 && msgs.some((m) => m.type === 'event'), { timeoutMs: 5000, what: 'the current state after a resume point beyond the job' });
    expect(beyond.events[0]).toMatchObject({ id: '0', event: 'status' });
    expect(msgs.find((m) => m.type === 'event').event).toMatchObject({ job_id: id, seq: 0, status: 'queued' });
    expect((await http('POST', `${p.api}/jobs/${id}/cancel`, { token })).status).toBe(200);
    expect(await beyond.done).toBe(200);
    expect(beyond.events.map((e) => e.event)).toEqual(['status', 'status', 'end']);
    const final = Number(beyond.events[1].id);
    // On a finished job: its final state and the end (not the end alone); at the final event: the end alone.
    const after = sse(`${p.api}/jobs/${id}/events`, token, '999999999');
    expect(await after.done).toBe(200);
    expect(after.events.map((e) => [e.id, e.event])).toEqual([[String(final), 'status'], [undefined, 'end']]);
    const atEnd = sse(`${p.api}/jobs/${id}/events?last_event_id=${final}`, token);
    expect(await atEnd.done).toBe(200);
    expect(atEnd.events.map((e) => e.event)).toEqual(['end']);
    // Not an event id at all: 422 naming the field, over SSE; an error message over WebSocket.
    for (const [query, header, field] of [['', '-1', 'Last-Event-ID'], ['', 'abc', 'Last-Event-ID'], ['?last_event_id=1e3', undefined, 'last_event_id']] as const) {
      const res = await http('GET', `${p.api}/jobs/${id}/events${query}`, { token, headers: header ? { 'last-event-id': header } : {} });
      expect([res.status, res.body.error.code, res.body.error.field_errors[0].field]).toEqual([422, 'VALIDATION_ERROR', field]);
    }
    ws.send(JSON.stringify({ type: 'subscribe', job_id: await create(token), last_event_id: 'abc' }));
    await waitFor(() => msgs.some((m) => m.type === 'error'), { what: 'the WebSocket refusal' });
    expect(msgs.find((m) => m.type === 'error')).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('last_event_id') });
    ws.close();
  });

  it('follows a retried job past its earlier final status, over SSE and WebSocket', async () => {
    const token = await tokenFor('e2e-retried');
    const id = await create(token);
    const { ws, msgs } = await wsClient(token);
    const wsStatuses = () => msgs.filter((m) => m.type === 'event' && m.job_id === id).map((m) => m.event.status);
    ws.send(JSON.stringify({ type: 'subscribe', job_id: id }));
    await waitFor(() => wsStatuses().length === 1, { what: 'the current state over WebSocket' });
    expect((await http('POST', `${p.api}/jobs/${id}/cancel`, { token })).status).toBe(200);
    expect((await http('POST', `${p.api}/jobs/${id}/retry`, { token })).body.data.status).toBe('queued');
    // The subscription outlived the cancellation: the retry's event follows it.
    await waitFor(() => wsStatuses().length === 3, { what: 'the retry over WebSocket' });
    expect(wsStatuses()).toEqual(['queued', 'cancelled', 'queued']);
    // Subscribing again starts over from the resume point given.
    ws.send(JSON.stringify({ type: 'subscribe', job_id: id, last_event_id: 0 }));
    await waitFor(() => wsStatuses().length === 5, { what: 'the replay of a second subscribe' });
    expect(wsStatuses().slice(3)).toEqual(['cancelled', 'queued']);
    // SSE resumed from before the cancellation replays it and goes on: the job is queued again.
    const resumed = sse(`${p.api}/jobs/${id}/events`, token, '0');
    await waitFor(() => resumed.events.length >= 2, { what: 'the replay over SSE' });
    expect((await http('POST', `${p.api}/jobs/${id}/cancel`, { token })).status).toBe(200);
    expect(await resumed.done).toBe(200);
    expect(resumed.events.map((e) => [e.event, e.data ? JSON.parse(e.data).status : undefined])).toEqual([
      ['status', 'cancelled'],
      ['status', 'queued'],
      ['status', 'cancelled'],
      ['end', undefined],
    ]);
    ws.close();
  });

  it('a gateway stopped with SIGTERM ends its SSE streams and closes its WebSockets (1001) at once, instead of waiting on them', async () => {
    const token = await tokenFor('e2e-drain');
    const id = await create(token);
    // A gateway of its own, with a shutdown bound far beyond what the test waits.
    const gw = await spawnService('gateway', { ...p.env, SHUTDOWN_TIMEOUT_MS: '60000' });
    try {
      const api = `${gw.url}/api/v1`;
      const live = sse(`${api}/jobs/${id}/events`, token);
      const ws = new WebSocket(`${api.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
      const msgs: any[] = [];
      ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
      const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ type: 'subscribe', job_id: id }));
      await waitFor(() => live.events.length >= 1 && msgs.some((m) => m.type === 'event'), { what: 'both streams open on the second gateway' });
      const started = Date.now();
      await gw.stop('SIGTERM');
      // Nest re-raises the signal once its hooks ran: the process ends by SIGTERM, not by the shutdown bound.
      expect([gw.proc.exitCode, gw.proc.signalCode]).toEqual([null, 'SIGTERM']);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await live.done).toBe(200);
      expect(await wsClosed).toBe(1001);
    } finally {
      await gw.stop('SIGKILL');
    }
  });

  it('frees an SSE stream whose client left before the first reply', async () => {
    const token = await tokenFor('e2e-sse-leave');
    const id = await create(token);
    const before = await sseClients();
    const request = `GET /api/v1/jobs/${id}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`;
    await Promise.all(Array.from({ length: 10 }, () => rawRequest(request, { leave: true })));
    // A client that stays is counted, and uncounted when it leaves.
    const stays = sse(`${p.api}/jobs/${id}/events`, token);
    await waitFor(() => stays.events.length >= 1, { what: 'the stream of a client that stays' });
    expect(await sseClients()).toBe(before + 1);
    stays.close();
    await waitFor(async () => (await sseClients()) === before, { timeoutMs: 3000, what: `gateway_sse_clients back to ${before}` });
  });

  it('a worker killed with SIGKILL mid-job: the job is queued again and completes once, elsewhere', async () => {
    const token = await tokenFor('e2e-kill');
    const doomed = startWorker('doomed', 1500);
    await waitFor(() => doomed.has('ready'), { what: 'doomed worker ready' });
    const id = (await http('POST', `${p.api}/videos/generate`, { token, body })).body.data.job_id;
    await waitFor(() => doomed.has(`progress ${id} 20`), { timeoutMs: 10_000, what: 'doomed worker progress' });
    await stopWorker(doomed, 'SIGKILL');
    const rescuer = startWorker('rescuer', 100);
    await waitFor(async () => (await status(id, token)).status === 'completed', { timeoutMs: 15_000, what: 'job completed elsewhere' });
    const job = await status(id, token);
    expect(job).toMatchObject({ status: 'completed', retry_count: 2, result: { worker_id: 'rescuer' } });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs.job_logs WHERE job_id = $1 AND message LIKE 'Completed by%'`, [id]);
    expect(rows[0].n).toBe(1);
    await stopWorker(rescuer);
  });

  it('cancels a queued job at once, and a processing one in each stage within 2 s', async () => {
    const token = await tokenFor('e2e-cancel');
    const queued = (await http('POST', `${p.api}/videos/generate`, { token, body })).body.data.job_id;
    const res = await http('POST', `${p.api}/jobs/${queued}/cancel`, { token });
    expect([res.status, res.body.data.status]).toEqual([200, 'cancelled']);
    const w = startWorker('cancel-worker', 600);
    const stages = ['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation'];
    let running = '';
    for (let k = 0; k < stages.length; k++) {
      running = (await http('POST', `${p.api}/videos/generate`, { token, body })).body.data.job_id;
      await waitFor(() => w.has(k === 0 ? `claimed ${running}` : `progress ${running} ${k * 20}`), { timeoutMs: 10_000, what: `stage ${stages[k]}` });
      const t0 = Date.now();
      expect((await http('POST', `${p.api}/jobs/${running}/cancel`, { token })).status).toBe(200);
      await waitFor(() => w.has(`aborted ${running}`), { timeoutMs: 2000, what: `worker stopped in ${stages[k]}` });
      expect(Date.now() - t0).toBeLessThan(2000);
      const job = await status(running, token);
      expect([job.status, job.progress.current_stage, job.progress.stages_completed]).toEqual(['cancelled', stages[k] === 'content_analysis' ? null : stages[k], stages.slice(0, k)]);
    }
    const retry = await http('POST', `${p.api}/jobs/${running}/retry`, { token });
    expect([retry.status, retry.body.data.status]).toEqual([200, 'queued']);
    await waitFor(async () => (await status(running, token)).status === 'processing', { what: 'retried job claimed' });
    await http('DELETE', `${p.api}/jobs/${running}`, { token });
    expect((await http('GET', `${p.api}/jobs/${running}`, { token })).status).toBe(404);
    await stopWorker(w);
  });

  it('restarting the jobs service under a stream of creates: every 201 is a stored job, nothing else', async () => {
    const tokens = await Promise.all(Array.from({ length: 400 }, (_, i) => tokenFor(`e2e-restart-${i}`)));
    let stop = false;
    const accepted: string[] = [];
    const other = new Map<number, number>();
    const loop = async () => {
      while (!stop && tokens.length) {
        const token = tokens.pop() as string;
        const r = await http('POST', `${p.api}/videos/generate`, { token, body });
        if (r.status === 201) accepted.push(r.body.data.job_id);
        else {
          // Refused (the service is away): this user has no job, so the token can be used again.
          other.set(r.status, (other.get(r.status) ?? 0) + 1);
          tokens.push(token);
          await new Promise((res) => setTimeout(res, 20));
        }
      }
    };
    const loops = Promise.all(Array.from({ length: 6 }, loop));
    await waitFor(() => accepted.length >= 20, { what: 'creates flowing' });
    await p.services.get('jobs')?.stop('SIGTERM');
    p.services.set('jobs', await spawnService('jobs', p.env));
    const before = accepted.length;
    await waitFor(() => accepted.length >= before + 20, { timeoutMs: 15_000, what: 'creates after restart' });
    stop = true;
    await loops;
    expect([...other.keys()]).toEqual([503]);
    const { rows } = await db.query(`SELECT id FROM jobs.jobs WHERE user_id LIKE 'e2e-restart-%'`);
    expect(rows.map((r) => r.id).sort()).toEqual([...accepted].sort());
  });
});
