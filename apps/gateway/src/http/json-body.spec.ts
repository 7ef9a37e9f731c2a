import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '@vgp/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { installJsonBodyParser, MAX_JSON_DEPTH, nestsDeeperThan } from './json-body.js';

describe('nestsDeeperThan', () => {
  const nest = (n: number, inner = '1') => '{"a":'.repeat(n) + inner + '}'.repeat(n);
  it.each<[number, boolean, string]>([
    [3, false, nest(3)],
    [3, true, nest(4)],
    [2, false, `[${'[]'.repeat(100)}]`],
    [1, false, `{"s":"${'{['.repeat(50)}","t":"\\\\\\"{{{{"}`],
    [64, true, nest(64, '[[]]')],
    [64, false, nest(60, JSON.stringify({ text: '{'.repeat(500) }))],
  ])('case %#: more than %i levels → %s', (max, expected, text) => {
    expect(nestsDeeperThan(text, max)).toBe(expected);
  });
});

describe('the JSON body parser', () => {
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    app = Fastify({ bodyLimit: 1024 });
    installJsonBodyParser(app, new Set(['/kept']));
    app.setErrorHandler((err: unknown, _req, reply) => {
      if (err instanceof AppError) return reply.status(err.status).send({ code: err.code, field_errors: err.field_errors });
      const e = err as { statusCode?: number; code?: string };
      return reply.status(e.statusCode ?? 500).send({ code: e.code });
    });
    app.post('/echo', async (req) => ({ body: req.body }));
    app.post('/kept', async (req) => ({ body: req.body }));
    // A real socket: light-my-request (inject) does not load under jest's ESM mode.
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
  });

  async function post(url: string, payload: string | Buffer, type = 'application/json') {
    const res = await fetch(`${base}${url}`, { method: 'POST', body: payload, headers: { 'content-type': type } });
    const text = await res.text();
    return { statusCode: res.status, json: () => JSON.parse(text) as unknown };
  }

  it('parses bodies without a NUL as before, the escape written as text included', async () => {
    const r = await post('/echo', JSON.stringify({ title: 'Right triangles', path: 'C:\\u0000', n: [1, { a: null }] }));
    expect([r.statusCode, r.json()]).toEqual([200, { body: { title: 'Right triangles', path: 'C:\\u0000', n: [1, { a: null }] } }]);
    expect((await post('/echo', '{"title": "x"}', 'application/json; charset=utf-8')).statusCode).toBe(200);
  });

  it('refuses a NUL anywhere in the body with 422 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ title: 'a\0' }, 'title'],
      [{ configuration: { topic: 'ok', custom_config: { notes: ['x', '\0'] } } }, 'configuration.custom_config.notes[1]'],
      [{ jobs: [{}, { configuration: { 'k\0': 1 } }] }, 'jobs[1].configuration'],
      [{ 'title\0': 'x' }, 'body'],
      ['\0', 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await post('/echo', JSON.stringify(body));
      expect([r.statusCode, r.json()]).toEqual([422, { code: 'VALIDATION_ERROR', field_errors: [{ field, code: 'INVALID_VALUE', message: 'Text must not contain NUL characters (U+0000)' }] }]);
    }
  });

  it('keeps Fastify\'s own refusals: malformed, empty, too large, prototype poisoning', async () => {
    expect((await post('/echo', '{"a": "\0"}')).json()).toEqual({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect((await post('/echo', '{"a": ')).json()).toEqual({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect((await post('/echo', '')).json()).toEqual({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
    expect((await post('/echo', JSON.stringify({ a: 'x'.repeat(2000) }))).statusCode).toBe(413);
    expect((await post('/echo', '{"__proto__": {"x": "\\u0000"}}')).statusCode).toBe(400);
    expect((await post('/echo', '{"constructor": {"prototype": {"x": 1}}}')).statusCode).toBe(400);
  });

  it(`refuses a body nested more than ${MAX_JSON_DEPTH} levels deep with 422 on body`, async () => {
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    expect((await post('/echo', deep(MAX_JSON_DEPTH))).statusCode).toBe(200);
    const r = await post('/echo', deep(MAX_JSON_DEPTH + 1));
    expect([r.statusCode, r.json()]).toEqual([422, { code: 'VALIDATION_ERROR', field_errors: [{ field: 'body', code: 'INVALID_VALUE', message: `The body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }] }]);
  });

  it('hands the bodies of kept routes over as sent', async () => {
    const r = await post('/kept', JSON.stringify({ name: 'Gr\0ace' }));
    expect([r.statusCode, r.json()]).toEqual([200, { body: { name: 'Gr\0ace' } }]);
  });

  it('decodes the body as its charset says, and refuses bytes that are not the charset', async () => {
    const title = { title: 'Café, Ελλάδα ✓' };
    const utf8 = Buffer.from(JSON.stringify(title));
    expect((await post('/echo', utf8)).json()).toEqual({ body: title });
    expect((await post('/echo', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]), 'application/json; charset=UTF-8')).json()).toEqual({ body: title });
    const latin = { title: 'Café crème' };
    expect((await post('/echo', Buffer.from(JSON.stringify(latin), 'latin1'), 'application/json; charset=iso-8859-1')).json()).toEqual({ body: latin });
    expect((await post('/echo', Buffer.from(JSON.stringify(latin), 'latin1'), 'application/json;charset="latin1"')).json()).toEqual({ body: latin });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(title), 'utf16le')]);
    expect((await post('/echo', utf16, 'application/json; charset=utf-16')).json()).toEqual({ body: title });
    // A UTF-16 byte order mark says what the charset would have.
    expect((await post('/echo', utf16)).json()).toEqual({ body: title });
    // Latin-1 bytes sent as UTF-8 are refused, not stored as U+FFFD.
    const mislabelled = await post('/echo', Buffer.from(JSON.stringify(latin), 'latin1'));
    expect([mislabelled.statusCode, mislabelled.json()]).toEqual([400, { code: 'MALFORMED_JSON' }]);
    expect((await post('/echo', Buffer.from(JSON.stringify(latin), 'latin1'), 'application/json; charset=utf-8')).statusCode).toBe(400);
    // An odd number of bytes is no UTF-16.
    expect((await post('/echo', Buffer.concat([Buffer.from('{"a":"b"}', 'utf16le'), Buffer.from([0x20])]), 'application/json; charset=utf-16le')).statusCode).toBe(400);
    const unknown = await post('/echo', utf8, 'application/json; charset=klingon');
    expect([unknown.statusCode, unknown.json()]).toEqual([415, { code: 'UNSUPPORTED_MEDIA_TYPE' }]);
  });
});
