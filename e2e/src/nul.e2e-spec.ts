import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  type AuthContext,
  FilesSubjects,
  JobsSubjects,
  type RecordVideoRequest,
  SURROGATE_MESSAGE,
  UsersSubjects,
  VideoFormat,
  type VideoMetadata,
  VideoResolution,
  VideosSubjects,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { http, type HttpResult, mintToken, multipart, type MultipartPart, tokenFor, waitFor } from '@vgp/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'svix';
import { type Platform, startPlatform } from './platform.js';

const NUL = '\u0000';
const MESSAGE = 'Text must not contain NUL characters (U+0000)';

/** A one-page PDF whose document information carries `title` (PDF string syntax: `\000` is a NUL). */
function pdfWithTitle(text: string, title: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    `<< /Title (${title}) >>`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Status, error code and `field:code` of each field error of an answer. */
function outcome(r: HttpResult): string {
  const fields = (r.body?.error?.field_errors ?? []).map((f: { field: string; code: string }) => `${f.field}:${f.code}`).join(',');
  return `${r.status} ${r.body?.error?.code ?? ''} ${fields}`.trim();
}
const refused = (field: string) => `422 VALIDATION_ERROR ${field}:INVALID_VALUE`;

/**
 * PostgreSQL stores no NUL character (U+0000), in text or jsonb. Wherever a client can put one
 * (JSON bodies, query strings, path parameters, multipart fields, token claims, uploaded content,
 * signed webhooks, NATS requests), the platform answers a 422 naming the field or drops it where
 * the text is not the client's to refuse: never a 500, a 503, a hang or a failed batch.
 */
describe('NUL characters (U+0000) in client input', () => {
  let p: Platform;
  let api: string;
  let nc: NatsConnection;
  let nats: NatsClient;
  let user: string;
  let admin: string;
  let jobId: string;
  let videoId: string;
  let fileId: string;
  const owner = `nul-${randomUUID().slice(0, 8)}`;
  const config = { topic: 'Pythagorean theorem', context: 'For 8th graders' };
  const secret = `whsec_${randomBytes(24).toString('base64')}`;

  const upload = (parts: MultipartPart[], path = 'upload', token = user) => {
    const { body, type } = multipart(parts);
    return http('POST', `${api}/files/${path}`, { token, rawBody: body, headers: { 'content-type': type } });
  };

  beforeAll(async () => {
    p = await startPlatform('nul', { RPC_TIMEOUT_MS: '3000', CLERK_WEBHOOK_SECRET: secret }, ['users', 'jobs', 'videos', 'files', 'gateway']);
    api = p.api;
    nc = await connect({ servers: p.env.NATS_URL });
    nats = new NatsClient(nc, { subjectPrefix: p.env.NATS_SUBJECT_PREFIX, timeoutMs: 3000 });
    [user, admin] = await Promise.all([tokenFor(owner), tokenFor(`${owner}-admin`, 'admin')]);
    const created = await http('POST', `${api}/videos/generate`, { token: user, body: { configuration: config } });
    expect(created.status).toBe(201);
    jobId = created.body.data.job_id;
    const record: RecordVideoRequest = {
      job_id: randomUUID(),
      user_id: owner,
      filename: 'video.mp4',
      file_path: `videos/${owner}/x/video.mp4`,
      file_size: 1,
      file_hash: 'a'.repeat(64),
      duration_seconds: 1,
      width: 320,
      height: 240,
      resolution: VideoResolution.SD_480P,
      format: VideoFormat.MP4,
      title: 'Pythagorean theorem',
      tags: ['math'],
      thumbnails: [],
      subtitle_tracks: [],
    };
    videoId = (await nats.request<VideoMetadata>(VideosSubjects.record, record)).id;
    const file = await upload([{ name: 'file', filename: 'notes.txt', data: 'notes\n' }]);
    expect(file.status).toBe(201);
    fileId = file.body.data.id;
  });

  afterAll(async () => {
    await nc?.close();
    await p?.stop();
  });

  it('refuses NUL in JSON bodies (the escape \\u0000) with the field\'s path, and changes nothing', async () => {
    const cases: Array<[string, string, string, unknown, string]> = [
      ['generate topic', 'POST', '/videos/generate', { configuration: { ...config, topic: `a${NUL}b` } }, refused('configuration.topic')],
      ['generate custom_config', 'POST', '/videos/generate', { configuration: { ...config, custom_config: { notes: ['ok', `x${NUL}`] } } }, refused('configuration.custom_config.notes[1]')],
      ['generate style', 'POST', '/videos/generate', { configuration: { ...config, style_preferences: { theme: NUL } } }, refused('configuration.style_preferences.theme')],
      ['batch context', 'POST', '/videos/batch', { jobs: [{ configuration: config }, { configuration: { ...config, context: `c${NUL}` } }] }, refused('jobs[1].configuration.context')],
      ['batch key', 'POST', '/videos/batch', { jobs: [{ configuration: { ...config, custom_config: { [`k${NUL}`]: 1 } } }] }, refused('jobs[0].configuration.custom_config')],
      ['video title', 'PATCH', `/videos/${videoId}`, { title: `t${NUL}` }, refused('title')],
      ['video description', 'PATCH', `/videos/${videoId}`, { description: `d${NUL}` }, refused('description')],
      ['video tags', 'PATCH', `/videos/${videoId}`, { tags: ['ok', `t${NUL}`] }, refused('tags[1]')],
      ['video unknown key', 'PATCH', `/videos/${videoId}`, { [`title${NUL}`]: 'x' }, refused('body')],
      ['permissions', 'PATCH', `/users/${owner}/permissions`, { permissions: [`users:manage${NUL}`] }, refused('permissions[0]')],
      ['status', 'PATCH', `/users/${owner}/status`, { status: `active${NUL}` }, refused('status')],
    ];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [name, method, path, body, expected] of cases) {
      const r = await http(method, `${api}${path}`, { token: path.startsWith('/users') ? admin : user, body });
      got[name] = outcome(r);
      want[name] = expected;
      if (r.status === 422) expect(r.body.error.field_errors[0].message).toBe(MESSAGE);
    }
    expect(got).toEqual(want);
    expect((await http('GET', `${api}/videos/${videoId}`, { token: user })).body.data).toMatchObject({ title: 'Pythagorean theorem', tags: ['math'] });
    expect((await http('GET', `${api}/jobs?job_type=video_generation`, { token: user })).body.data.pagination.total_items).toBe(1);
    expect((await http('GET', `${api}/jobs?job_type=batch_video_generation`, { token: user })).body.data.pagination.total_items).toBe(0);
    expect((await http('GET', `${api}/users/${owner}`, { token: admin })).body.data.permissions.permissions).not.toContain('users:manage');
    // The escape written as text (a backslash, then u0000) is ordinary text.
    const text = await http('PATCH', `${api}/videos/${videoId}`, { token: user, body: { description: 'C:\\u0000 is not a NUL' } });
    expect([text.status, text.body.data?.description]).toEqual([200, 'C:\\u0000 is not a NUL']);
  });

  it('refuses a lone surrogate half (\\ud800) in JSON bodies like a NUL, with the field\'s path', async () => {
    const message = (r: HttpResult) => r.body?.error?.field_errors?.[0]?.message;
    const lone = '\\ud800';
    const cases: Array<[string, string, string, string]> = [
      ['POST', '/videos/generate', `{"configuration":{"topic":"a ${lone} b","context":"c"}}`, 'configuration.topic'],
      ['POST', '/videos/batch', `{"jobs":[{"configuration":{"topic":"t","context":"c"}},{"configuration":{"topic":"t","context":"\\udfff"}}]}`, 'jobs[1].configuration.context'],
      ['PATCH', `/videos/${videoId}`, `{"tags":["ok","x${lone}"]}`, 'tags[1]'],
    ];
    for (const [method, path, rawBody, field] of cases) {
      const r = await http(method, `${api}${path}`, { token: user, rawBody, headers: { 'content-type': 'application/json' } });
      expect([path, outcome(r), message(r)]).toEqual([path, refused(field), SURROGATE_MESSAGE]);
    }
    // A pair written as escapes is one character, and welcome.
    const pair = await http('POST', `${api}/videos/generate`, { token: user, rawBody: '{"configuration":{"topic":"Pythagoras \\ud83d\\udcd0","context":"c"}}', headers: { 'content-type': 'application/json' } });
    expect([201, 429]).toContain(pair.status);
  });

  it('refuses JSON bodies nested thousands of levels deep with a 422 on body, not a 500', async () => {
    // The DTO pipeline recurses once per level: 3 000 levels overflowed the stack (a 500).
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const cases: Array<[string, string, string]> = [
      ['POST', '/videos/generate', `{"configuration":{"topic":"t","context":"c","custom_config":${deep(5000)}}}`],
      ['POST', '/videos/batch', `{"jobs":[{"configuration":{"topic":"t","context":"c","custom_config":${deep(5000)}}}]}`],
      ['PATCH', `/videos/${videoId}`, `{"title":${deepArray(5000)}}`],
      ['PATCH', `/users/${owner}/permissions`, `{"max_file_size_mb":${deepArray(3000)}}`],
    ];
    for (const [method, path, rawBody] of cases) {
      const r = await http(method, `${api}${path}`, { token: method === 'PATCH' && path.startsWith('/users') ? admin : user, rawBody, headers: { 'content-type': 'application/json' } });
      expect([path, outcome(r)]).toEqual([path, refused('body')]);
    }
    // Nesting within the limit still reaches the DTO rules.
    const fine = await http('POST', `${api}/videos/generate`, { token: user, rawBody: `{"configuration":{"topic":"t","context":"c","custom_config":${deep(40)}}}`, headers: { 'content-type': 'application/json' } });
    expect([201, 429]).toContain(fine.status);
  });

  it('refuses NUL in query strings and path parameters, after the rate limit counted the request', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', `/videos?tag=a%00b`, refused('tag')],
      ['GET', `/videos?search=%00`, refused('search')],
      ['GET', `/videos?tag=a&tag=b%00`, refused('tag')],
      ['GET', `/videos?created_after=%00`, refused('created_after')],
      ['GET', `/jobs?user_id=x%00`, refused('user_id')],
      ['GET', `/jobs?batch_id=%00`, refused('batch_id')],
      ['GET', `/jobs?status=%00`, refused('status')],
      ['GET', `/jobs?sea%00rch=1`, refused('query')],
      ['GET', `/files?file_type=%00`, refused('file_type')],
      ['GET', `/users?role=%00`, refused('role')],
      ['GET', `/jobs/${jobId}/logs?level=%00`, refused('level')],
      ['GET', `/videos/jobs/${jobId}/thumbnail?size=%00`, refused('size')],
      ['GET', `/files/${fileId}/secure?expires=%00&signature=%00`, refused('expires')],
      ['GET', `/jobs/%00`, refused('job_id')],
      ['GET', `/jobs/a%00b/logs`, refused('job_id')],
      ['GET', `/jobs/%00/events`, refused('job_id')],
      ['POST', `/jobs/%00/cancel`, refused('job_id')],
      ['POST', `/jobs/%00/retry`, refused('job_id')],
      ['DELETE', `/jobs/%00`, refused('job_id')],
      ['GET', `/videos/jobs/%00/status`, refused('job_id')],
      ['GET', `/videos/jobs/%00/metadata`, refused('job_id')],
      ['GET', `/videos/jobs/%00/download`, refused('job_id')],
      ['GET', `/videos/jobs/%00/stream`, refused('job_id')],
      ['GET', `/videos/jobs/%00/thumbnail`, refused('job_id')],
      ['GET', `/videos/jobs/${jobId}/subtitles/e%00n`, refused('language')],
      ['GET', `/videos/%00`, refused('video_id')],
      ['PATCH', `/videos/%00`, refused('video_id')],
      ['GET', `/public/videos/%00`, refused('video_id')],
      ['GET', `/users/%00`, refused('user_id')],
      ['PATCH', `/users/%00/status`, refused('user_id')],
      ['PATCH', `/users/%00/permissions`, refused('user_id')],
      ['GET', `/files/%00`, refused('file_id')],
      ['GET', `/files/%00/download`, refused('file_id')],
      ['DELETE', `/files/%00`, refused('file_id')],
    ];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [method, path, expected] of cases) {
      const token = path.startsWith('/users') || path.includes('user_id') ? admin : user;
      const body = method === 'PATCH' ? { status: 'active' } : method === 'POST' ? {} : undefined;
      const r = await http(method, `${api}${path}`, { token, body });
      got[`${method} ${path}`] = outcome(r);
      want[`${method} ${path}`] = expected;
      expect(r.headers.get('x-ratelimit-limit')).toEqual(expect.any(String));
    }
    expect(got).toEqual(want);
    // A percent-encoded `%00` as text is no NUL; unknown routes stay 404.
    expect((await http('GET', `${api}/videos?tag=%2500`, { token: user })).status).toBe(200);
    expect(outcome(await http('GET', `${api}/nowhere%00`, { token: user }))).toBe('404 ROUTE_NOT_FOUND');
  });

  it('refuses NUL in multipart form fields, on one upload and on a batch, and keeps nothing', async () => {
    const before = (await http('GET', `${api}/files/stats`, { token: user })).body.data.total_files;
    const cases: Array<[string, MultipartPart[], string]> = [
      ['description', [{ name: 'description', data: `d${NUL}` }], refused('description')],
      ['tags', [{ name: 'tags', data: `a,b${NUL}` }], refused('tags[1]')],
      ['tags json', [{ name: 'tags', data: `["a","b${NUL}"]` }], refused('tags[1]')],
      ['subdirectory', [{ name: 'subdirectory', data: `s${NUL}` }], refused('subdirectory')],
      ['two fields', [{ name: 'subdirectory', data: 'ok' }, { name: 'description', data: NUL }, { name: 'tags', data: `${NUL},x` }], `${refused('description')},tags[0]:INVALID_VALUE`],
    ];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [name, fields, expected] of cases) {
      for (const [path, part] of [['upload', 'file'], ['batch-upload', 'files']]) {
        const r = await upload([...fields, { name: part, filename: 'notes.txt', data: 'notes\n' }], path);
        got[`${path} ${name}`] = outcome(r);
        want[`${path} ${name}`] = expected;
      }
    }
    expect(got).toEqual(want);
    expect((await http('GET', `${api}/files/stats`, { token: user })).body.data.total_files).toBe(before);
  });

  it('stores uploads whose content holds NUL characters: a PDF title, a text past the sniffed head', async () => {
    const pdf = await upload([{ name: 'file', filename: 'lesson.pdf', data: pdfWithTitle('Right triangles and the hypotenuse', 'Right\\000triangles') }]);
    expect([pdf.status, pdf.body.data?.metadata?.title]).toEqual([201, 'Righttriangles']);
    // The type is read from the first 64 KiB (valid UTF-8 without NUL: text); the NUL comes later.
    const text = Buffer.concat([Buffer.from(`${'The hypotenuse is the longest side. '.repeat(2000)}\n\n`), Buffer.from(`Legs${NUL}${NUL}and squares.\n`)]);
    const doc = await upload([{ name: 'file', filename: 'long.txt', data: text }]);
    expect(doc.status).toBe(201);
    const extraction = await waitFor(
      async () => {
        const state = (await http('GET', `${api}/files/${doc.body.data.id}`, { token: user })).body.data.metadata.text_extraction;
        return state === 'done' || state === 'failed' ? state : null;
      },
      { timeoutMs: 20_000, what: 'text extraction' },
    );
    expect(extraction).toBe('done');
    const hits = await nats.request<Array<{ text: string }>>(FilesSubjects.searchPassages, { user_id: owner, query: 'squares', limit: 3 });
    expect(hits.map((h) => h.text)).toContainEqual(expect.stringContaining('Legs and squares.'));
  });

  it('keeps a caller whose token claims hold NUL characters, without them', async () => {
    const id = `${owner}-claims`;
    const token = await mintToken(id, 'user', { claims: { name: `Ada${NUL} Lovelace`, email: `ada${NUL}@example.com`, username: `ada${NUL}` } });
    const me = await http('GET', `${api}/auth/me`, { token });
    expect([me.status, me.body.data?.full_name, me.body.data?.email]).toEqual([200, 'Ada Lovelace', 'ada@example.com']);
    // A subject holding one is no subject: 401, never a 500.
    const bad = await mintToken(`x${NUL}y`, 'user');
    expect(outcome(await http('GET', `${api}/auth/me`, { token: bad }))).toBe('401 UNAUTHORIZED');
  });

  it('applies a signed Clerk event whose text holds NUL characters, without them', async () => {
    const hook = new Webhook(secret);
    const body = JSON.stringify({
      type: 'user.created',
      data: {
        id: 'user_nulclerk',
        first_name: `Gr${NUL}ace`,
        last_name: 'Hopper',
        email_addresses: [{ id: 'e1', email_address: `grace${NUL}@example.com`, verification: { status: 'verified' } }],
        primary_email_address_id: 'e1',
        unsafe_metadata: { [`note${NUL}`]: NUL },
        updated_at: Date.now(),
      },
    });
    const at = new Date();
    const headers = { 'content-type': 'application/json', 'svix-id': 'msg_nul', 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': hook.sign('msg_nul', at, body) };
    const r = await http('POST', `${api}/webhooks/clerk`, { rawBody: body, headers });
    expect([r.status, r.body.data]).toEqual([200, { applied: true, user_id: 'user_nulclerk' }]);
    expect((await http('GET', `${api}/users/user_nulclerk`, { token: admin })).body.data).toMatchObject({ full_name: 'Grace Hopper', email: 'grace@example.com' });
  });

  it('answers NATS requests holding NUL with a 422 naming the field, and refuses only those of a batch', async () => {
    const ctx = (await nats.request<{ context: AuthContext }>(UsersSubjects.resolve, { claims: { sub: owner } })).context;
    const adminCtx = (await nats.request<{ context: AuthContext }>(UsersSubjects.resolve, { claims: { sub: `${owner}-admin` } })).context;
    const page = { page: 1, items_per_page: 10, sort_order: 'desc', sort_by: 'created_at' };
    const calls: Array<[string, string, unknown, string]> = [
      ['videos update', VideosSubjects.update, { user: ctx, video_id: videoId, changes: { title: `t${NUL}` } }, 'changes.title'],
      ['videos list', VideosSubjects.list, { user: ctx, ...page, tag: NUL }, 'tag'],
      ['videos get', VideosSubjects.get, { user: ctx, video_id: NUL }, 'video_id'],
      ['files register', FilesSubjects.register, { user: ctx, file_id: randomUUID(), key: 'k', filename: 'f', original_filename: 'f', file_type: 'document', mime_type: 'text/plain', file_size: 1, checksum: 'a'.repeat(64), description: NUL }, 'description'],
      ['files list', FilesSubjects.list, { user: ctx, ...page, file_type: NUL }, 'file_type'],
      ['files search', FilesSubjects.searchPassages, { user_id: owner, query: `pythagoras${NUL}`, limit: 3 }, 'query'],
      ['jobs list', JobsSubjects.list, { user: adminCtx, ...page, user_id: NUL }, 'user_id'],
      ['jobs get', JobsSubjects.get, { user: ctx, job_id: NUL }, 'job_id'],
      ['users resolve', UsersSubjects.resolve, { claims: { sub: `${owner}-x`, name: `n${NUL}` } }, 'claims.name'],
      ['users permissions', UsersSubjects.updatePermissions, { user: adminCtx, user_id: owner, changes: { permissions: [NUL] } }, 'changes.permissions[0]'],
      ['users key', UsersSubjects.get, { user: adminCtx, [`user_id${NUL}`]: owner }, 'payload'],
    ];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [name, subject, payload, field] of calls) {
      got[name] = await nats.request(subject, payload).then(
        () => 'answered',
        (e: { status?: number; code?: string; field_errors?: Array<{ field: string; code: string }> }) => `${e.status} ${e.code} ${e.field_errors?.map((f) => `${f.field}:${f.code}`).join(',')}`,
      );
      want[name] = `422 VALIDATION_ERROR ${field}:INVALID_VALUE`;
    }
    expect(got).toEqual(want);
    // One message of many requests (as the gateway batches creates and rate-limit reservations):
    // only the one holding a NUL is refused.
    const results = await Promise.all(
      [config, { ...config, topic: `x${NUL}` }, config].map((c) =>
        nats.requestBatched<{ job_id: string }>(JobsSubjects.create, { user: adminCtx, configuration: c, priority: 'normal' }).then(
          (v) => `created ${typeof v.job_id}`,
          (e: { status: number }) => `refused ${e.status}`,
        ),
      ),
    );
    expect(results).toEqual(['created string', 'refused 422', 'created string']);
  });
});
