import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hostileTokens, http, type HttpResult, multipart, tokenFor, waitFor } from '@vgp/testing';
import WebSocket from 'ws';
import { type Platform, startPlatform } from './platform.js';

const generate = (quality = 'low') => ({
  configuration: { topic: 'Pythagorean theorem', context: 'Right triangles, for 8th graders', quality, custom_config: { scene_count: 2, sentences_per_scene: 1 } },
});

/** A multipart body with one text file. */
const textFile = (name: string, text: string) => multipart([{ name: 'file', filename: name, data: text, type: 'text/plain' }]);

/**
 * Every route of API.md as another user, as an admin, as a suspended user and with hostile tokens,
 * against one user's job, video and file: strangers get 404 (never 403, never data), lists and
 * event streams do not leak, flags are enforced.
 */
describe('isolation between users, on every route', () => {
  let p: Platform;
  let api: string;
  let alice: string;
  let mallory: string;
  let admin: string;
  let suspended: string;
  let jobId: string;
  let openJobId: string;
  let videoId: string;
  let fileId: string;

  const upload = async (token: string, name: string) => {
    const { body, type } = textFile(name, `notes of ${name}\n`);
    return http('POST', `${api}/files/upload`, { token, rawBody: body, headers: { 'content-type': type } });
  };

  beforeAll(async () => {
    p = await startPlatform('isolation', { RPC_TIMEOUT_MS: '5000' });
    api = p.api;
    [alice, mallory, admin, suspended] = await Promise.all([tokenFor('iso-alice'), tokenFor('iso-mallory'), tokenFor('iso-admin', 'admin'), tokenFor('iso-suspended')]);
    const created = await http('POST', `${api}/videos/generate`, { token: alice, body: generate() });
    expect(created.status).toBe(201);
    jobId = created.body.data.job_id;
    const file = await upload(alice, 'alice-notes.txt');
    expect(file.status).toBe(201);
    fileId = file.body.data.id;
    await waitFor(async () => (await http('GET', `${api}/videos/jobs/${jobId}/status`, { token: alice })).body.data?.status === 'completed', {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: 'alice\'s job to complete',
    });
    const meta = await http('GET', `${api}/videos/jobs/${jobId}/metadata`, { token: alice });
    videoId = meta.body.data.video_id;
    // A second job that stays queued or running, for cancel and delete.
    openJobId = (await http('POST', `${api}/videos/generate`, { token: alice, body: generate() })).body.data.job_id;
    // Mallory and the admin have things of their own.
    await http('POST', `${api}/videos/generate`, { token: mallory, body: generate() });
    await upload(mallory, 'mallory.txt');
    await http('GET', `${api}/auth/me`, { token: suspended });
    const s = await http('PATCH', `${api}/users/iso-suspended/status`, { token: admin, body: { status: 'suspended' } });
    expect(s.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await p?.stop();
  });

  /** Every owner route of API.md, addressed at alice's ids. */
  const ownerRoutes = (): Array<[string, string, unknown?]> => [
    ['GET', `/videos/jobs/${jobId}/status`],
    ['GET', `/videos/jobs/${jobId}/metadata`],
    ['GET', `/videos/jobs/${jobId}/download`],
    ['GET', `/videos/jobs/${jobId}/stream`],
    ['GET', `/videos/jobs/${jobId}/thumbnail`],
    ['GET', `/videos/jobs/${jobId}/subtitles/en`],
    ['GET', `/videos/${videoId}`],
    ['PATCH', `/videos/${videoId}`, { title: 'pwned' }],
    ['DELETE', `/videos/${videoId}`],
    ['GET', `/jobs/${jobId}`],
    ['POST', `/jobs/${openJobId}/cancel`],
    ['POST', `/jobs/${jobId}/retry`],
    ['DELETE', `/jobs/${openJobId}`],
    ['GET', `/jobs/${jobId}/logs`],
    ['GET', `/jobs/${jobId}/events`],
    ['GET', `/files/${fileId}`],
    ['GET', `/files/${fileId}/download`],
    ['DELETE', `/files/${fileId}`],
  ];

  const call = (method: string, path: string, token: string | undefined, body?: unknown): Promise<HttpResult> =>
    http(method, `${api}${path}`, { token, body, headers: path.endsWith('/events') ? { accept: 'text/event-stream' } : {} });

  it('answers 404 to another user on every owner route, and changes nothing', async () => {
    const got: Record<string, string> = {};
    for (const [method, path, body] of ownerRoutes()) {
      const r = await call(method, path, mallory, body);
      got[`${method} ${path}`] = `${r.status} ${/_NOT_FOUND$/.test(r.body?.error?.code ?? '') ? 'NOT_FOUND' : r.body?.error?.code}`;
      expect(r.text).not.toContain('iso-alice');
    }
    expect(Object.values(got).every((v) => v === '404 NOT_FOUND')).toBe(true);
    // Alice's things are untouched.
    expect((await http('GET', `${api}/videos/${videoId}`, { token: alice })).body.data).toMatchObject({ id: videoId, status: 'ready' });
    expect((await http('GET', `${api}/videos/${videoId}`, { token: alice })).body.data.title).not.toBe('pwned');
    expect((await http('GET', `${api}/jobs/${openJobId}`, { token: alice })).body.data.status).not.toBe('cancelled');
    expect((await http('GET', `${api}/files/${fileId}`, { token: alice })).status).toBe(200);
  });

  it('answers 404 for ids that do not exist exactly as for another user\'s', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, body] of ownerRoutes()) {
      const bogus = path.replace(jobId, missing).replace(openJobId, missing).replace(videoId, missing).replace(fileId, missing);
      const [theirs, none] = await Promise.all([call(method, path, mallory, body), call(method, bogus, mallory, body)]);
      expect([method, path, none.status, none.body.error.code]).toEqual([method, path, theirs.status, theirs.body.error.code]);
    }
  });

  it('keeps lists, stats, quota and filters to the caller', async () => {
    const lists = await Promise.all([
      http('GET', `${api}/jobs?items_per_page=100`, { token: mallory }),
      http('GET', `${api}/videos?items_per_page=100`, { token: mallory }),
      http('GET', `${api}/files?items_per_page=100`, { token: mallory }),
    ]);
    for (const l of lists) {
      expect(l.status).toBe(200);
      expect(JSON.stringify(l.body)).not.toMatch(/iso-alice|alice-notes/);
      for (const id of [jobId, openJobId, videoId, fileId]) expect(l.text).not.toContain(id);
    }
    // Mallory's job and the file-processing job of her upload, nothing else.
    for (const j of lists[0].body.data.items) expect((await http('GET', `${api}/jobs/${j.job_id}`, { token: mallory })).body.data.user_id).toBe('iso-mallory');
    expect(lists[2].body.data.items.length).toBe(1);
    for (const q of ['user_id=iso-alice', 'all=true']) {
      const r = await http('GET', `${api}/jobs?${q}`, { token: mallory });
      expect(r.text).not.toContain(jobId);
      expect([403, 200]).toContain(r.status);
    }
    const stats = await http('GET', `${api}/files/stats`, { token: mallory });
    expect(stats.body.data.total_files).toBe(1);
    const quota = await http('GET', `${api}/users/me/quota`, { token: mallory });
    expect(quota.status).toBe(200);
    expect(quota.text).not.toContain('iso-alice');
  });

  it('does not stream another user\'s job events (SSE and WebSocket)', async () => {
    const sse = await http('GET', `${api}/jobs/${jobId}/events`, { token: mallory, headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(404);
    const url = `${api.replace('http', 'ws')}/ws`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${mallory}` } });
    const messages: any[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    ws.send(JSON.stringify({ type: 'subscribe', job_id: jobId }));
    ws.send(JSON.stringify({ type: 'subscribe', job_id: openJobId }));
    await waitFor(() => messages.length >= 2, { timeoutMs: 5000, what: 'two WebSocket answers' });
    // Alice's open job moves on meanwhile; none of it may reach mallory.
    await http('POST', `${api}/jobs/${openJobId}/cancel`, { token: alice });
    await new Promise((r) => setTimeout(r, 500));
    ws.close();
    expect(messages.slice(0, 2).every((m) => m.type === 'error' && m.code === 'JOB_NOT_FOUND')).toBe(true);
    expect(JSON.stringify(messages)).not.toMatch(/iso-alice|"type":"(progress|status|event)"/);
    const unauthenticated = new WebSocket(url);
    const refused = await new Promise<string>((r) => {
      unauthenticated.once('unexpected-response', (_req, res) => r(String(res.statusCode)));
      unauthenticated.once('open', () => r('open'));
      unauthenticated.once('error', () => r('error'));
    });
    expect(refused).toBe('401');
  });

  it('shares a video publicly only when its owner says so, and a signed file link only for its file', async () => {
    expect((await http('GET', `${api}/public/videos/${videoId}`)).status).toBe(404);
    expect((await http('PATCH', `${api}/videos/${videoId}`, { token: alice, body: { is_public: true } })).status).toBe(200);
    expect((await http('GET', `${api}/public/videos/${videoId}`)).status).toBe(200);
    expect((await http('PATCH', `${api}/videos/${videoId}`, { token: mallory, body: { is_public: false } })).status).toBe(404);
    // Links are made with PUBLIC_BASE_URL; the test's gateway listens elsewhere.
    const made = new URL((await http('GET', `${api}/files/${fileId}`, { token: alice })).body.data.download_url);
    const link = `${new URL(api).origin}${made.pathname}${made.search}`;
    expect((await fetch(link)).status).toBe(200);
    const mine = (await http('GET', `${api}/files?items_per_page=1`, { token: mallory })).body.data.items[0].id;
    expect((await fetch(link.replace(fileId, mine))).status).toBe(403);
  });

  it('answers every list past its end with an empty page, and a page beyond the ceiling with a 422 on page', async () => {
    const lists = [`${api}/jobs`, `${api}/videos`, `${api}/files`, `${api}/users`, `${api}/jobs/${jobId}/logs`];
    for (const list of lists) {
      const last = await http('GET', `${list}?page=1000000&items_per_page=100`, { token: list.endsWith('/users') ? admin : alice });
      expect([list, last.status, last.body.data.items, last.body.data.pagination.page, last.body.data.pagination.has_next]).toEqual([list, 200, [], 1000000, false]);
      // 99999999999999999999 made an offset PostgreSQL cannot hold: 500 before.
      for (const page of ['1000001', '99999999999999999999', '1e20']) {
        const over = await http('GET', `${list}?page=${page}`, { token: list.endsWith('/users') ? admin : alice });
        expect([list, page, over.status, over.body.error.code, over.body.error.field_errors[0].field]).toEqual([list, page, 422, 'VALIDATION_ERROR', 'page']);
      }
    }
  });

  it('lets an admin see and cancel any job (can_view_all_jobs, can_cancel_any_job) and read system metrics; not a user', async () => {
    expect((await http('GET', `${api}/jobs/${jobId}`, { token: admin })).status).toBe(200);
    const all = await http('GET', `${api}/jobs?user_id=iso-alice&items_per_page=100`, { token: admin });
    expect(all.status).toBe(200);
    expect(all.text).toContain(jobId);
    const another = (await http('POST', `${api}/videos/generate`, { token: alice, body: generate() })).body.data.job_id;
    expect((await http('POST', `${api}/jobs/${another}/cancel`, { token: admin })).status).toBe(200);
    expect((await http('GET', `${api}/system/metrics`, { token: admin })).status).toBe(200);
    const denied = await http('GET', `${api}/system/metrics`, { token: mallory });
    expect([denied.status, denied.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await http('GET', `${api}/users`, { token: mallory })).status).toBe(403);
  });

  it('enforces the permission flags an admin changes: premium, generate, upload', async () => {
    const ultra = await http('POST', `${api}/videos/generate`, { token: mallory, body: generate('ultra') });
    expect([ultra.status, ultra.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const ok = await http('PATCH', `${api}/users/iso-mallory/permissions`, { token: admin, body: { can_generate_videos: false, can_upload_files: false } });
    expect(ok.body.data).toMatchObject({ can_generate_videos: false, can_upload_files: false });
    expect((await http('POST', `${api}/videos/generate`, { token: mallory, body: generate() })).status).toBe(403);
    expect((await http('POST', `${api}/videos/batch`, { token: mallory, body: { jobs: [generate()] } })).status).toBe(403);
    expect((await upload(mallory, 'blocked.txt')).status).toBe(403);
    // Giving the role the user has changes nothing (it reset every flag to the role's defaults): the flags are given back.
    const same = await http('PATCH', `${api}/users/iso-mallory/permissions`, { token: admin, body: { role: 'user' } });
    expect(same.body.data).toMatchObject({ can_generate_videos: false, can_upload_files: false });
    await http('PATCH', `${api}/users/iso-mallory/permissions`, { token: admin, body: { can_generate_videos: true, can_upload_files: true } });
    expect((await upload(mallory, 'allowed-again.txt')).status).toBe(201);
  });

  it('keeps a suspended user out of every route but /auth/*', async () => {
    for (const [method, path, body] of [...ownerRoutes(), ['GET', '/jobs'], ['GET', '/videos'], ['GET', '/files'], ['GET', '/files/stats'], ['GET', '/users/me/quota'], ['GET', '/system/queue-status'], ['POST', '/videos/generate', generate()]] as Array<[string, string, unknown?]>) {
      const r = await call(method, path, suspended, body);
      expect([method, path, r.status, r.body?.error?.code]).toEqual([method, path, 403, 'FORBIDDEN']);
    }
    expect((await upload(suspended, 'x.txt')).status).toBe(403);
    // The WebSocket upgrade bypasses the HTTP guard: it checks the account status itself.
    const socket = new WebSocket(`${api.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${suspended}` } });
    const answer = await new Promise<string>((r) => {
      socket.once('unexpected-response', (_req, res) => r(String(res.statusCode)));
      socket.once('open', () => r('open'));
      socket.once('error', () => r('error'));
    });
    socket.terminate();
    expect(answer).toBe('403');
    expect((await http('GET', `${api}/auth/me`, { token: suspended })).status).toBe(200);
    expect((await http('GET', `${api}/auth/status`, { token: suspended })).body.data).toMatchObject({ authenticated: true, status: 'suspended' });
  });

  it('refuses forged, expired, alg none and HS256-with-the-public-key tokens everywhere', async () => {
    const hostile = await hostileTokens('iso-alice', 'admin');
    for (const [kind, token] of Object.entries(hostile)) {
      const code = kind === 'expired' ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED';
      for (const [method, path, body] of [...ownerRoutes(), ['GET', '/jobs'], ['GET', '/users'], ['GET', '/auth/me'], ['GET', '/system/metrics']] as Array<[string, string, unknown?]>) {
        const r = await call(method, path, token, body);
        expect([kind, method, path, r.status, r.body?.error?.code]).toEqual([kind, method, path, 401, code]);
      }
      expect((await http('GET', `${api}/auth/status`, { token })).body.data).toEqual({ authenticated: false, reason: code });
    }
    // Nothing happened to alice's things.
    expect((await http('GET', `${api}/videos/${videoId}`, { token: alice })).body.data.status).toBe('ready');
  });
});
