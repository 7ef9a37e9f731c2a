import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestInfra, http, type RunningService, startService, type TestInfra, tokenFor } from '@vgp/testing';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { AppModule } from '../app.module.js';
import { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_APP } from '../gateway.setup.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const valid = { configuration: { topic: 'Pythagorean theorem', context: 'Right triangles' } };

/** The gateway alone on the real NATS: its envelope, validation and edge errors. */
describe('gateway envelope and edge errors', () => {
  let infra: TestInfra;
  let gw: RunningService<GatewayConfig>;
  let api: string;
  let token: string;

  beforeAll(async () => {
    infra = await createTestInfra('gateway');
    token = await tokenFor('alice');
    gw = await startService({ module: AppModule, ...GATEWAY_APP, env: { ...infra.env, BODY_LIMIT_BYTES: '4096', RPC_TIMEOUT_MS: '1500' } });
    api = `${gw.url}/api/v1`;
  });

  afterAll(async () => {
    await gw?.close();
    await infra?.cleanup();
  });

  const expectError = (res: { status: number; body: any; headers: Headers }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status: 'error', message: expect.any(String), error: { code, message: expect.any(String) } });
    expect(res.body.timestamp).toMatch(ISO);
    expect(res.body.error.timestamp).toMatch(ISO);
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
    expect(res.body.error.request_id).toBe(res.body.request_id);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+|node_modules|stack/i);
  };

  it('reports every invalid field with 422 and field_errors', async () => {
    const res = await http('POST', `${api}/videos/generate`, { token, body: { configuration: { context: '', quality: 'best' }, priority: 'asap', extra: 1 } });
    expectError(res, 422, 'VALIDATION_ERROR');
    expect(res.body.message).toBe('Validation failed');
    const byField = Object.fromEntries(res.body.error.field_errors.map((f: any) => [f.field, f.code]));
    expect(byField).toEqual({
      extra: 'UNKNOWN_FIELD',
      priority: 'INVALID_ENUM',
      'configuration.topic': 'MISSING_FIELD',
      'configuration.context': 'INVALID_LENGTH',
      'configuration.quality': 'INVALID_ENUM',
    });
  });

  it('refuses null for an optional field with 422 instead of storing it over the default', async () => {
    const res = await http('POST', `${api}/videos/generate`, { token, body: { configuration: { ...valid.configuration, quality: null, use_rag: null }, priority: null } });
    expectError(res, 422, 'VALIDATION_ERROR');
    const byField = Object.fromEntries(res.body.error.field_errors.map((f: any) => [f.field, f.code]));
    expect(byField).toEqual({ priority: 'INVALID_ENUM', 'configuration.quality': 'INVALID_ENUM', 'configuration.use_rag': 'INVALID_TYPE' });
  });

  it('refuses keys named like members every object inherits, which class-transformer dropped unseen', async () => {
    const body = await http('POST', `${api}/videos/generate`, { token, body: { configuration: { ...valid.configuration, custom_config: { scenes: [{ valueOf: 1 }] } } } });
    expectError(body, 422, 'VALIDATION_ERROR');
    expect(body.body.error.field_errors).toEqual([expect.objectContaining({ field: 'configuration.custom_config.scenes[0].valueOf', code: 'INVALID_VALUE' })]);
    const query = await http('GET', `${api}/jobs?toString=1`, { token });
    expectError(query, 422, 'VALIDATION_ERROR');
    expect(query.body.error.field_errors).toEqual([expect.objectContaining({ field: 'toString', code: 'INVALID_VALUE' })]);
  });

  it.each([
    ['a JSON array body', { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } }, 422, 'VALIDATION_ERROR'],
    ['a JSON string body', { rawBody: '"hi"', headers: { 'content-type': 'application/json' } }, 422, 'VALIDATION_ERROR'],
    ['no body', { headers: {} }, 422, 'VALIDATION_ERROR'],
    ['malformed JSON', { rawBody: '{"configuration": ', headers: { 'content-type': 'application/json' } }, 400, 'MALFORMED_JSON'],
    ['Latin-1 bytes sent as UTF-8', { rawBody: Buffer.from('{"configuration": {"topic": "Café"}}', 'latin1'), headers: { 'content-type': 'application/json' } }, 400, 'MALFORMED_JSON'],
    ['an unknown charset', { rawBody: '{}', headers: { 'content-type': 'application/json; charset=klingon' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a wrong content type', { rawBody: 'topic=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['text/plain', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an oversized body', { rawBody: JSON.stringify({ configuration: { topic: 'x', context: 'y'.repeat(8000) } }), headers: { 'content-type': 'application/json' } }, 413, 'PAYLOAD_TOO_LARGE'],
  ])('answers %s in the envelope', async (_what, opts, status, code) => {
    const res = await http('POST', `${api}/videos/generate`, { token, ...opts });
    expectError(res, status, code);
  });

  it('answers an unknown route with 404 and a method the route does not serve with 405 and Allow, in the envelope', async () => {
    expectError(await http('GET', `${api}/does-not-exist`, { token }), 404, 'ROUTE_NOT_FOUND');
    const generate = await http('PUT', `${api}/videos/generate`, { token });
    expectError(generate, 405, 'METHOD_NOT_ALLOWED');
    // The methods of every route whose path matches (GET, PATCH and DELETE /videos/{video_id} too).
    expect(generate.headers.get('allow')).toContain('POST');
    // DELETE /videos/{video_id} is a route: "generate" is no video id there.
    expectError(await http('DELETE', `${api}/videos/generate`, { token }), 404, 'ROUTE_NOT_FOUND');
    const job = await http('PUT', `${api}/jobs/00000000-0000-4000-8000-000000000000?x=1`, { token });
    expectError(job, 405, 'METHOD_NOT_ALLOWED');
    expect(job.headers.get('allow')).toBe('GET, HEAD, DELETE');
    // Anonymous callers too: the method is wrong whoever asks.
    expect((await http('PATCH', `${api}/system/health`, {})).headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers the router\'s own refusals in the envelope, with the request id, not echoing the URL', async () => {
    const long = await http('GET', `${api}/jobs/${'a'.repeat(5000)}`, { token });
    expectError(long, 414, 'INVALID_INPUT');
    expect(JSON.stringify(long.body)).not.toContain('aaaaaaaaaa');
    expect(long.headers.get('x-request-id')).toBe(long.body.request_id);
    const badEscape = await http('GET', `${api}/jobs/%E0%A4%A`, { token });
    expectError(badEscape, 400, 'INVALID_INPUT');
    expect(badEscape.headers.get('x-request-id')).toBe(badEscape.body.request_id);
  });

  /** What the gateway answers to `raw` written byte for byte on a fresh connection, and whether it closed it. */
  const rawExchange = (raw: string) =>
    new Promise<{ head: string; body: any; closed: boolean }>((resolve, reject) => {
      const { port, hostname } = new URL(gw.url);
      const sock = connect(Number(port), hostname, () => sock.write(raw));
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('error', reject);
      sock.on('close', () => {
        const [head, body] = out.split('\r\n\r\n');
        resolve({ head, body: JSON.parse(body), closed: true });
      });
      sock.setTimeout(5000, () => reject(new Error(`no answer: ${out}`)));
    });

  it.each([
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400],
    ['a header without a colon', 'GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400],
    // A DELETE body sent without a length: the parser reads its bytes as the next request line.
    ['a body without Content-Length after a request', 'DELETE /api/v1/jobs/x HTTP/1.1\r\nHost: x\r\n\r\n{"a":1}', 400],
    ['headers over the limit', `GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['an HTTP/1.1 request without Host', 'GET /api/v1/jobs HTTP/1.1\r\n\r\n', 400],
  ])('answers %s in the envelope and closes the connection', async (_what, raw, status) => {
    const res = await rawExchange(raw);
    const last = res.head.lastIndexOf('HTTP/1.1 ');
    const head = res.head.slice(last);
    expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/content-type: application\/json/i);
    expect(res.body).toMatchObject({ status: 'error', error: { code: 'INVALID_INPUT', message: expect.any(String) } });
    expect(head).toContain(`X-Request-Id: ${res.body.request_id}`);
    expect(res.body.error.request_id).toBe(res.body.request_id);
    expect(res.closed).toBe(true);
  });

  it('answers a browser\'s CORS preflight before authentication, and puts CORS headers on every answer, errors included', async () => {
    const pre = await http('OPTIONS', `${api}/videos/generate`, {
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    const denied = await http('GET', `${api}/jobs`, { headers: { origin: 'http://localhost:5173' } });
    expectError(denied, 401, 'UNAUTHORIZED');
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
    expect(denied.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    // Clients that are not browsers send no Origin and get no CORS headers, only Vary: Origin.
    const plain = await http('GET', `${api}/jobs`, {});
    expect([plain.headers.get('access-control-allow-origin'), plain.headers.get('access-control-expose-headers'), plain.headers.get('vary')]).toEqual([null, null, 'Origin']);
    // An OPTIONS with an Origin but no requested method: a preflight all the same, not a bare text 400.
    const loose = await http('OPTIONS', `${api}/jobs`, { headers: { origin: 'http://localhost:5173' } });
    expect([loose.status, loose.headers.get('access-control-allow-origin')]).toEqual([204, '*']);
  });

  it('refuses a compressed body with 415 in the envelope instead of parsing its compressed bytes', async () => {
    const token = await tokenFor('enc-user');
    const json = JSON.stringify({ configuration: { topic: 'Pythagorean theorem', context: 'c' } });
    for (const [encoding, body] of [['gzip', gzipSync(json)], ['br', Buffer.from(json)], ['deflate, gzip', gzipSync(json)]] as const) {
      const res = await http('POST', `${api}/videos/generate`, { token, rawBody: body, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.body.error.message).toContain('Content-Encoding');
      expect(res.headers.get('x-ratelimit-limit')).not.toBeNull();
    }
    // identity is no encoding; a request without a body is not refused for its header.
    const plain = await http('POST', `${api}/videos/generate`, { token, rawBody: '{', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
    expectError(plain, 400, 'MALFORMED_JSON');
    expect((await http('GET', `${api}/jobs`, { token, headers: { 'content-encoding': 'gzip' } })).status).not.toBe(415);
  });

  it('allows only the configured origins when CORS_ORIGINS lists them', async () => {
    const listed = await startService({ module: AppModule, ...GATEWAY_APP, env: { ...infra.env, CORS_ORIGINS: 'https://app.example.com' } });
    try {
      const ask = (origin: string) => http('OPTIONS', `${listed.url}/api/v1/jobs`, { headers: { origin, 'access-control-request-method': 'GET' } });
      const ok = await ask('https://app.example.com');
      expect([ok.status, ok.headers.get('access-control-allow-origin'), ok.headers.get('vary')]).toEqual([204, 'https://app.example.com', 'Origin']);
      const other = await ask('https://evil.example.com');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await listed.close();
    }
    const off = await startService({ module: AppModule, ...GATEWAY_APP, env: { ...infra.env, CORS_ORIGINS: 'false' } });
    try {
      const res = await http('GET', `${off.url}/api/v1/jobs`, { headers: { origin: 'https://app.example.com' } });
      expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([401, null]);
    } finally {
      await off.close();
    }
  });

  it('requires a valid bearer token', async () => {
    expectError(await http('POST', `${api}/videos/generate`, { body: valid }), 401, 'UNAUTHORIZED');
    expectError(await http('POST', `${api}/videos/generate`, { body: valid, headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHORIZED');
    expectError(await http('POST', `${api}/videos/generate`, { body: valid, token: 'not-a-token' }), 401, 'UNAUTHORIZED');
  });

  it('answers 503 SERVICE_UNAVAILABLE at once when the jobs service is not there', async () => {
    const started = Date.now();
    const res = await http('POST', `${api}/videos/generate`, { token, body: valid });
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(res.body.error.details).toEqual({ service: 'jobs' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps a sane client request id and replaces an insane one', async () => {
    const kept = await http('GET', `${api}/nope`, { headers: { 'x-request-id': 'client-123' } });
    expect(kept.headers.get('x-request-id')).toBe('client-123');
    expect(kept.body.request_id).toBe('client-123');
    const replaced = await http('GET', `${api}/nope`, { headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.body.request_id).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('counts every path under /webhooks/ but Clerk\'s route like any other request, and that route against a budget of its own', async () => {
    const limited = await startService({ module: AppModule, ...GATEWAY_APP, env: { ...infra.env, RATE_LIMIT_ANONYMOUS: '4', RATE_LIMIT_WEBHOOK: '3' } });
    try {
      const v1 = `${limited.url}/api/v1`;
      const headers = (r: { status: number; headers: Headers }) => [r.status, r.headers.get('x-ratelimit-limit'), r.headers.get('x-ratelimit-remaining')];
      // Unknown paths under /webhooks/ (404), and Clerk's path with another method (405): counted on the anonymous budget.
      expect(headers(await http('GET', `${v1}/webhooks/anything`))).toEqual([404, '4', '3']);
      expect(headers(await http('POST', `${v1}/webhooks/other`, { body: {} }))).toEqual([404, '4', '2']);
      expect(headers(await http('GET', `${v1}/webhooks/clerk`))).toEqual([405, '4', '1']);
      // An OPTIONS that is no preflight (no Origin) falls to @fastify/cors' `*` route: counted too (405: /jobs serves GET).
      expect(headers(await http('OPTIONS', `${v1}/jobs`))).toEqual([405, '4', '0']);
      const refused = await http('GET', `${v1}/webhooks/anything-else`);
      expectError(refused, 429, 'RATE_LIMIT_EXCEEDED');
      // A browser's preflight is answered before the limit, whatever is left of it.
      const pre = await http('OPTIONS', `${v1}/jobs`, { headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' } });
      expect([pre.status, pre.headers.get('x-ratelimit-limit')]).toEqual([204, null]);
      // Clerk's deliveries (here unconfigured: 503) have their own budget, not the spent anonymous one.
      const hook = () => http('POST', `${v1}/webhooks/clerk`, { body: { type: 'user.created', data: {} } });
      expect(headers(await hook())).toEqual([503, '3', '2']);
      expect(headers(await hook())).toEqual([503, '3', '1']);
      expect(headers(await hook())).toEqual([503, '3', '0']);
      expectError(await hook(), 429, 'RATE_LIMIT_EXCEEDED');
      const metrics = await http('GET', `${limited.url}/metrics`);
      expect(metrics.text).toMatch(/^gateway_rate_limited_total\{(?=[^}]*caller="webhook")[^}]*\} 1$/m);
    } finally {
      await limited.close();
    }
  });

  it('serves OpenAPI generated from the DTOs, and health and metrics without a token', async () => {
    const doc = await http('GET', `${gw.url}/api/docs-json`);
    expect(doc.status).toBe(200);
    expect(doc.body.paths['/api/v1/videos/generate'].post).toBeDefined();
    expect(doc.body.components.schemas.JobConfigurationDto.properties.topic).toMatchObject({ minLength: 1, maxLength: 500 });
    // Whole numbers are integers; the signed link needs no token; the WebSocket is documented.
    expect(doc.body.components.schemas.UpdatePermissionsDto.properties.max_concurrent_jobs).toMatchObject({ type: 'integer', minimum: 1 });
    expect(doc.body.paths['/api/v1/files/{file_id}/secure'].get.security).toEqual([]);
    expect(doc.body.paths['/api/v1/files/{file_id}'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.body.paths['/ws'].get.responses['101']).toBeDefined();
    expect((await http('GET', `${gw.url}/api/docs`)).status).toBe(200);
    expect((await http('GET', `${gw.url}/health/live`)).status).toBe(200);
    expect((await http('GET', `${gw.url}/health/ready`)).status).toBe(200);
    const metrics = await http('GET', `${gw.url}/metrics`);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{service="gateway",version="[^"]+",method="POST",route="\/api\/v1\/videos\/generate",status_code="422"\}/);
    // Requests to other services: the create above found no jobs service (no responder).
    expect(metrics.text).toMatch(/^nats_client_request_duration_seconds_count\{(?=[^}]*subject="jobs\.v1\.job\.create")(?=[^}]*outcome="unavailable")[^}]*\} [1-9]/m);
  });
});
