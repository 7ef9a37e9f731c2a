import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { http, mintToken, type ServiceProcess, spawnService, tokenFor, waitFor } from '@vgp/testing';
import { Webhook } from 'svix';
import { type Platform, startPlatform } from './platform.js';

const WINDOW_SECONDS = 3600;
const MODERATOR_LIMIT = 20;
const ANONYMOUS_LIMIT = 10;

/** A GET with a request target of our own (an absolute form, which fetch never sends); the answer's head and body as text. */
function rawGet(base: string, target: string, headers: Record<string, string> = {}): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const lines = Object.entries({ host: 'gateway.test', connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`GET ${target} HTTP/1.1\r\n${lines.join('')}\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** Two gateway processes and the users service: auth routes, admin routes, status, webhooks, shared rate limits. */
describe('users, auth routes, status enforcement and shared rate limits (two gateways)', () => {
  let p: Platform;
  let second: ServiceProcess;
  let a: { url: string };
  let b: { url: string };
  let apiA: string;
  let apiB: string;
  let admin: string;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;

  beforeAll(async () => {
    p = await startPlatform(
      'auth',
      {
        AUTH_USERS_OPTIONAL: 'false',
        CLERK_WEBHOOK_SECRET: secret,
        RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
        RATE_LIMIT_MODERATOR: String(MODERATOR_LIMIT),
        RATE_LIMIT_ANONYMOUS: String(ANONYMOUS_LIMIT),
        RPC_TIMEOUT_MS: '2000',
        // The test client plays the proxy in front of the gateways: its X-Forwarded-For is believed.
        TRUST_PROXY: '127.0.0.1',
      },
      ['users', 'gateway'],
    );
    second = await spawnService('gateway', p.env);
    a = p.service('gateway');
    b = second;
    apiA = `${a.url}/api/v1`;
    apiB = `${b.url}/api/v1`;
    admin = await tokenFor('it-admin', 'admin');
  });

  afterAll(async () => {
    await second?.stop();
    await p?.stop();
  });

  it('creates the profile on first sight and serves /auth/me, /auth/permissions and /auth/status', async () => {
    const token = await mintToken('it-ada', 'user', { claims: { name: 'Ada Lovelace', email: 'ada@example.com', image_url: 'https://img.example/ada.png' } });
    const me = await http('GET', `${apiA}/auth/me`, { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ status: 'success', data: { id: 'it-ada', full_name: 'Ada Lovelace', email: 'ada@example.com', image_url: 'https://img.example/ada.png', email_verified: true } });
    const perms = await http('GET', `${apiB}/auth/permissions`, { token });
    expect(perms.body.data).toMatchObject({ user_id: 'it-ada', role: 'user', can_generate_videos: true, can_access_premium_features: false, max_concurrent_jobs: 3, max_daily_jobs: 50, max_file_size_mb: 100 });
    const status = await http('GET', `${apiA}/auth/status`, { token });
    expect(status.body.data).toMatchObject({ authenticated: true, user_id: 'it-ada', role: 'user', status: 'active', expires_at: expect.any(String) });
    expect((await http('GET', `${apiA}/auth/status`)).body.data).toEqual({ authenticated: false, reason: 'UNAUTHORIZED' });
    const expired = await mintToken('it-ada', 'user', { expiresIn: -60 });
    expect((await http('GET', `${apiA}/auth/status`, { token: expired })).body.data).toEqual({ authenticated: false, reason: 'TOKEN_EXPIRED' });
    const refused = await http('GET', `${apiA}/auth/me`, { token: expired });
    expect([refused.status, refused.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);
  });

  it('keeps admin routes to admins and validates changes within the spec ranges', async () => {
    const user = await tokenFor('it-user');
    await http('GET', `${apiA}/auth/me`, { token: user });
    const denied = await http('GET', `${apiA}/users`, { token: user });
    expect([denied.status, denied.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await http('PATCH', `${apiA}/users/it-user/status`, { token: user, body: { status: 'active' } })).status).toBe(403);
    const list = await http('GET', `${apiA}/users?items_per_page=100&sort_order=asc`, { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.data.items.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining(['it-admin', 'it-user']));
    expect(list.body.data.items[0]).toMatchObject({ role: expect.any(String), status: expect.any(String) });
    expect((await http('GET', `${apiA}/users/it-user`, { token: admin })).body.data).toMatchObject({ id: 'it-user', role: 'user', permissions: { max_daily_jobs: 50 } });
    expect((await http('GET', `${apiA}/users/nobody`, { token: admin })).status).toBe(404);
    const bad = await http('PATCH', `${apiA}/users/it-user/permissions`, { token: admin, body: { max_concurrent_jobs: 11, role: 'root', extra: 1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.field_errors.map((f: { field: string }) => f.field).sort()).toEqual(['extra', 'max_concurrent_jobs', 'role']);
    expect((await http('PATCH', `${apiA}/users/it-user/status`, { token: admin, body: { status: 'pending_verification' } })).status).toBe(422);
    // No status at all: the spec's MISSING_FIELD, not INVALID_ENUM.
    const missing = await http('PATCH', `${apiA}/users/it-user/status`, { token: admin, body: {} });
    expect([missing.status, missing.body.error.code, missing.body.error.field_errors]).toEqual([422, 'VALIDATION_ERROR', [{ field: 'status', code: 'MISSING_FIELD', message: 'status is required' }]]);
  });

  it('keeps the permissions list and the flags describing the same rights', async () => {
    await tokenFor('it-mod').then((token) => http('GET', `${apiA}/auth/me`, { token }));
    const patch = (body: Record<string, unknown>) => http('PATCH', `${apiA}/users/it-mod/permissions`, { token: admin, body });
    expect((await patch({ role: 'moderator' })).body.data.permissions).toEqual(['videos:generate', 'files:upload', 'jobs:view_all', 'jobs:cancel_any']);
    const flags = await patch({ can_view_all_jobs: false, can_cancel_any_job: false, can_access_system_metrics: true });
    expect(flags.body.data).toMatchObject({ permissions: ['videos:generate', 'files:upload', 'system:metrics'], can_view_all_jobs: false, can_access_system_metrics: true });
    const list = await patch({ permissions: ['videos:generate', 'premium'] });
    expect(list.body.data).toMatchObject({ permissions: ['videos:generate', 'premium'], can_upload_files: false, can_access_system_metrics: false, can_access_premium_features: true });
    const unknown = await patch({ permissions: ['videos:generate', '😀'] });
    expect([unknown.status, unknown.body.error.field_errors.map((f: { field: string; code: string }) => `${f.field}:${f.code}`)]).toEqual([422, ['permissions:INVALID_ENUM']]);
    const contradiction = await patch({ permissions: ['videos:generate'], can_upload_files: true });
    expect([contradiction.status, contradiction.body.error.field_errors.map((f: { field: string; code: string }) => `${f.field}:${f.code}`)]).toEqual([422, ['can_upload_files:INVALID_VALUE']]);
    expect((await http('GET', `${apiB}/users/it-mod`, { token: admin })).body.data.permissions).toMatchObject({ permissions: ['videos:generate', 'premium'], can_upload_files: false });
  });

  it('applies a role change on the other replica at once', async () => {
    const token = await tokenFor('it-promoted');
    expect((await http('GET', `${apiB}/users`, { token })).status).toBe(403);
    const changed = await http('PATCH', `${apiA}/users/it-promoted/permissions`, { token: admin, body: { role: 'admin', max_daily_jobs: 9 } });
    expect(changed.body.data).toMatchObject({ role: 'admin', can_access_system_metrics: true, max_daily_jobs: 9, max_concurrent_jobs: 10 });
    await waitFor(async () => (await http('GET', `${apiB}/users`, { token })).status === 200, { timeoutMs: 2000, what: 'replica B to see the new role' });
    expect((await http('GET', `${apiB}/auth/permissions`, { token })).body.data).toMatchObject({ role: 'admin', max_daily_jobs: 9 });
  });

  it('shuts a suspended user out of everything but /auth/* within seconds, on every replica', async () => {
    const token = await tokenFor('it-suspect');
    const before = await http('POST', `${apiB}/videos/generate`, { token, body: {} });
    expect(before.status).toBe(422);
    const started = Date.now();
    expect((await http('PATCH', `${apiA}/users/it-suspect/status`, { token: admin, body: { status: 'suspended' } })).body.data).toMatchObject({ status: 'suspended' });
    await waitFor(async () => (await http('POST', `${apiB}/videos/generate`, { token, body: {} })).status === 403, { timeoutMs: 2000, what: 'suspension on replica B' });
    expect(Date.now() - started).toBeLessThan(2000);
    const forbidden = await http('GET', `${apiB}/videos`, { token });
    expect([forbidden.status, forbidden.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await http('GET', `${apiB}/auth/me`, { token })).status).toBe(200);
    expect((await http('GET', `${apiB}/auth/status`, { token })).body.data).toMatchObject({ authenticated: true, status: 'suspended' });
    await http('PATCH', `${apiA}/users/it-suspect/status`, { token: admin, body: { status: 'inactive' } });
    await waitFor(async () => (await http('GET', `${apiB}/auth/permissions`, { token })).status === 200 && (await http('GET', `${apiA}/videos`, { token })).status === 403);
    await http('PATCH', `${apiA}/users/it-suspect/status`, { token: admin, body: { status: 'active' } });
    await waitFor(async () => (await http('POST', `${apiB}/videos/generate`, { token, body: {} })).status === 422, { timeoutMs: 2000, what: 'reactivation' });
  });

  it('lets pending_verification users read but not create', async () => {
    const token = await mintToken('it-pending', 'user', { claims: { email_verified: false } });
    expect((await http('GET', `${apiA}/auth/me`, { token })).body.data).toMatchObject({ email_verified: false });
    const write = await http('POST', `${apiA}/videos/generate`, { token, body: {} });
    expect([write.status, write.body.error.code]).toEqual([403, 'FORBIDDEN']);
    // Reads pass the guard (the videos service is not running here: 503, not 403).
    expect((await http('GET', `${apiA}/videos`, { token })).status).toBe(503);
  });

  it('follows a new token\'s claims at once: a verified email, a new name (no 30 s of the cached context)', async () => {
    const pending = await mintToken('it-verifies', 'user', { claims: { email_verified: false, name: 'Before Name' } });
    expect((await http('GET', `${apiA}/auth/status`, { token: pending })).body.data).toMatchObject({ status: 'pending_verification' });
    expect((await http('POST', `${apiA}/videos/generate`, { token: pending, body: {} })).status).toBe(403);
    // The user verified the email in Clerk; the next session token says so.
    const verified = await mintToken('it-verifies', 'user', { claims: { email_verified: true, name: 'Before Name' } });
    expect((await http('GET', `${apiA}/auth/status`, { token: verified })).body.data).toMatchObject({ status: 'active' });
    expect((await http('POST', `${apiA}/videos/generate`, { token: verified, body: {} })).status).toBe(422);
    const renamed = await mintToken('it-verifies', 'user', { claims: { email_verified: true, name: 'Renamed Person' } });
    expect((await http('GET', `${apiA}/auth/me`, { token: renamed })).body.data).toMatchObject({ full_name: 'Renamed Person', email_verified: true });
  });

  it('accepts Clerk webhooks only with a valid Svix signature over the exact bytes', async () => {
    const hook = new Webhook(secret);
    const body = JSON.stringify({
      type: 'user.created',
      data: { id: 'user_fromclerk', first_name: 'Grace', last_name: 'Hopper', email_addresses: [{ id: 'e1', email_address: 'grace@example.com', verification: { status: 'verified' } }], primary_email_address_id: 'e1', updated_at: Date.now() },
    });
    const send = (payload: string, headers: Record<string, string>) => http('POST', `${apiA}/webhooks/clerk`, { rawBody: payload, headers: { 'content-type': 'application/json', ...headers } });
    const signed = (id: string, at: Date, payload: string) => ({ 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': hook.sign(id, at, payload) });
    const ok = await send(body, signed('msg_1', new Date(), body));
    expect([ok.status, ok.body.data]).toEqual([200, { applied: true, user_id: 'user_fromclerk' }]);
    expect((await http('GET', `${apiA}/users/user_fromclerk`, { token: admin })).body.data).toMatchObject({ full_name: 'Grace Hopper', email: 'grace@example.com', email_verified: true });
    // Same JSON, other bytes: the signature no longer matches.
    const respaced = body.replace('{"type"', '{ "type"');
    expect((await send(respaced, signed('msg_2', new Date(), body))).status).toBe(401);
    expect((await send(body, { ...signed('msg_3', new Date(), body), 'svix-signature': 'v1,AAAA' })).status).toBe(401);
    expect((await send(body, {})).status).toBe(401);
    // A delivery replayed long after it was signed.
    const old = new Date(Date.now() - 3600_000);
    expect((await send(body, signed('msg_4', old, body))).status).toBe(401);
  });

  it('limits a user across both replicas together, with headers and the spec 429', async () => {
    // Keep the burst inside one window.
    const untilReset = WINDOW_SECONDS * 1000 - (Date.now() % (WINDOW_SECONDS * 1000));
    if (untilReset < 5000) await new Promise((r) => setTimeout(r, untilReset + 100));
    const token = await tokenFor('it-burst', 'moderator');
    const first = await http('GET', `${apiA}/auth/permissions`, { token });
    expect(first.headers.get('x-ratelimit-limit')).toBe(String(MODERATOR_LIMIT));
    expect(first.headers.get('x-ratelimit-remaining')).toBe(String(MODERATOR_LIMIT - 1));
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => http('GET', `${i % 2 ? apiA : apiB}/auth/permissions`, { token })));
    const ok = burst.filter((r) => r.status === 200);
    const limited = burst.filter((r) => r.status === 429);
    expect(ok.length).toBe(MODERATOR_LIMIT - 1);
    expect(limited.length).toBe(40 - (MODERATOR_LIMIT - 1));
    const r = limited[0];
    expect(r.body).toMatchObject({ status: 'error', message: 'Rate limit exceeded', error: { code: 'RATE_LIMIT_EXCEEDED', details: { limit: MODERATOR_LIMIT, remaining: 0 } } });
    const d = r.body.error.details;
    expect(d.retry_after).toBeGreaterThan(0);
    expect(r.headers.get('retry-after')).toBe(String(d.retry_after));
    expect(Date.parse(d.reset_at)).toBe(Number(r.headers.get('x-ratelimit-reset')) * 1000);
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(r.body.request_id).toBe(r.headers.get('x-request-id'));
  });

  it('limits anonymous callers per IP, and puts the headers on errors too', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    const results = [];
    for (let i = 0; i < ANONYMOUS_LIMIT + 2; i++) results.push(await http('GET', `${apiA}/auth/status`, { headers }));
    expect(results.map((r) => r.status)).toEqual([...Array(ANONYMOUS_LIMIT).fill(200), 429, 429]);
    expect(results[3].headers.get('x-ratelimit-remaining')).toBe(String(ANONYMOUS_LIMIT - 4));
    // Media a browser loads without a token (signed links, public videos) has a budget of its own
    // per IP, a user's: the exhausted API limit above does not refuse it (this link is forged: 403).
    const media = await http('GET', `${apiA}/videos/jobs/${randomUUID()}/thumbnail?index=0&expires=9999999999&signature=${'0'.repeat(64)}`, { headers });
    expect([media.status, media.headers.get('x-ratelimit-limit')]).toEqual([403, '1000000']);
    // (This platform runs no videos service: the stream is not refused by the limit but unavailable.)
    expect((await http('GET', `${apiA}/public/videos/${randomUUID()}/stream`, { headers })).status).toBe(503);
    expect((await http('GET', `${apiA}/public/videos/${randomUUID()}`, { headers })).status).toBe(429);
    const refusedMetric = (await http('GET', `${a.url}/metrics`)).text;
    expect(refusedMetric).toMatch(/^gateway_rate_limited_total\{(?=[^}]*caller="anonymous")[^}]*\} [2-9]\d*$/m);
    const otherIp = await http('GET', `${apiB}/does-not-exist`, { headers: { 'x-forwarded-for': '203.0.113.8' } });
    expect(otherIp.status).toBe(404);
    expect(otherIp.headers.get('x-ratelimit-limit')).toBe(String(ANONYMOUS_LIMIT));
    const unauthorized = await http('GET', `${apiB}/auth/me`, { headers: { 'x-forwarded-for': '203.0.113.8' } });
    expect([unauthorized.status, unauthorized.headers.get('x-ratelimit-remaining')]).toEqual([401, String(ANONYMOUS_LIMIT - 2)]);
    // The path counted is the one the router matched: percent-encoded letters or an absolute-form
    // target reach /api/v1 too, and were not counted.
    const encoded = await http('GET', `${b.url}/%61pi/v1/auth/status`, { headers: { 'x-forwarded-for': '203.0.113.8' } });
    expect([encoded.status, encoded.headers.get('x-ratelimit-remaining')]).toEqual([200, String(ANONYMOUS_LIMIT - 3)]);
    const absolute = await rawGet(b.url, `http://gateway.test/api/v1/auth/status`, { 'x-forwarded-for': '203.0.113.8' });
    expect(absolute).toMatch(new RegExp(`^HTTP/1\\.1 200[\\s\\S]*\r\nx-ratelimit-remaining: ${ANONYMOUS_LIMIT - 4}\r\n`, 'i'));
    // A direct client's own X-Forwarded-For is not believed by a gateway that trusts no proxy.
    const direct = await spawnService('gateway', { ...p.env, TRUST_PROXY: 'false' });
    try {
      const spoofed = await Promise.all(['198.51.100.1', '198.51.100.2'].map((ip) => http('GET', `${direct.url}/api/v1/auth/status`, { headers: { 'x-forwarded-for': ip } })));
      // Both counted against the one real address (loopback): consecutive remainders, not two fresh windows.
      const remaining = spoofed.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((x, y) => x - y);
      expect(remaining[1] - remaining[0]).toBe(1);
    } finally {
      await direct.stop();
    }
    // Probes and metrics are not limited.
    expect((await http('GET', `${a.url}/health/live`, { headers })).headers.get('x-ratelimit-limit')).toBeNull();
  });
});
