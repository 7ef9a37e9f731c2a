import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { FilesSubjects, type RetrievedPassage, ROLE_DEFAULT_PERMISSIONS, UserRole, UserStatus } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { http, makePdf, multipart, type MultipartPart, tokenFor, waitFor } from '@vgp/testing';
import { execFile } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type Platform, startPlatform } from './platform.js';

const run = promisify(execFile);
const SECRET = 'e2e-files-signing-secret-0123456789abcdef';

describe('files: streamed uploads, type sniffing, limits, signed links', () => {
  let p: Platform;
  let work: string;
  let token: string;
  let nc: NatsConnection;
  let nats: NatsClient;
  const owner = `fil-${randomUUID().slice(0, 8)}`;
  const media: Record<string, Buffer> = {};

  const upload = async (parts: MultipartPart[], t = token, path = 'upload') => {
    const { body, type } = multipart(parts);
    return http('POST', `${p.api}/files/${path}`, { token: t, rawBody: body, headers: { 'content-type': type } });
  };
  const fileCount = async (t = token) => (await http('GET', `${p.api}/files/stats`, { token: t })).body.data.total_files as number;
  const ff = (args: string[], name: string) => run('ffmpeg', ['-v', 'error', ...args, join(work, name)]).then(async () => (media[name] = await readFile(join(work, name))));

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vgp-files-e2e-'));
    const [platform] = await Promise.all([
      startPlatform('files', { RPC_TIMEOUT_MS: '5000', RATE_LIMIT_ENABLED: 'false', FILES_SIGNING_SECRET: SECRET }, ['users', 'jobs', 'videos', 'files', 'gateway']),
      ff(['-f', 'lavfi', '-i', 'testsrc=size=64x48', '-frames:v', '1'], 'a.png'),
      ff(['-f', 'lavfi', '-i', 'testsrc=size=64x48', '-frames:v', '1'], 'a.jpg'),
      ff(['-f', 'lavfi', '-i', 'testsrc=size=32x24', '-frames:v', '1'], 'a.gif'),
      ff(['-f', 'lavfi', '-i', 'testsrc=size=32x24', '-frames:v', '1', '-c:v', 'libwebp'], 'a.webp'),
      ff(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=duration=1', '-shortest', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'a.mp4'),
      ff(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x48:rate=10', '-c:v', 'libvpx', '-deadline', 'realtime'], 'a.webm'),
      ff(['-f', 'lavfi', '-i', 'sine=duration=1'], 'a.wav'),
      ff(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'libmp3lame'], 'a.mp3'),
      ff(['-f', 'lavfi', '-i', 'sine=duration=1'], 'a.flac'),
    ]);
    p = platform;
    token = await tokenFor(owner);
    nc = await connect({ servers: p.env.NATS_URL });
    nats = new NatsClient(nc, { subjectPrefix: p.env.NATS_SUBJECT_PREFIX, timeoutMs: 5000 });
  });

  afterAll(async () => {
    await nc?.close();
    await p?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('stores every allowed type with its metadata, type read from the content', async () => {
    const cases: Array<[string, Buffer, string, string, Record<string, unknown>]> = [
      ['diagram.png', media['a.png'], 'image', 'image/png', { width: 64, height: 48 }],
      ['photo.jpg', media['a.jpg'], 'image', 'image/jpeg', { width: 64, height: 48 }],
      ['anim.gif', media['a.gif'], 'image', 'image/gif', { width: 32, height: 24 }],
      ['pic.webp', media['a.webp'], 'image', 'image/webp', { width: 32, height: 24 }],
      ['clip.mp4', media['a.mp4'], 'video', 'video/mp4', { width: 160, height: 120, video_codec: 'h264', audio_codec: 'aac' }],
      ['clip.webm', media['a.webm'], 'video', 'video/webm', { video_codec: 'vp8' }],
      ['tone.wav', media['a.wav'], 'audio', 'audio/wav', { duration_seconds: 1, audio_codec: 'pcm_s16le' }],
      ['tone.mp3', media['a.mp3'], 'audio', 'audio/mpeg', { audio_codec: 'mp3' }],
      ['tone.flac', media['a.flac'], 'audio', 'audio/flac', { audio_codec: 'flac' }],
      ['proof.pdf', makePdf(['Euclid proof', 'Second page']), 'document', 'application/pdf', { page_count: 2 }],
      ['notes.txt', Buffer.from('Plain notes about triangles'), 'document', 'text/plain', { encoding: 'utf-8' }],
      ['unicode.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Notes saved as "Unicode": a² + b² = c²', 'utf16le')]), 'document', 'text/plain', { encoding: 'utf-16le' }],
      ['notes.md', Buffer.from('# Notes\n\nMarkdown about triangles'), 'document', 'text/markdown', { encoding: 'utf-8' }],
      ['page.html', Buffer.from('<!doctype html><html><body><p>Triangles</p></body></html>'), 'document', 'text/html', { encoding: 'utf-8' }],
      ['data.gz', gzipSync(Buffer.from('archive')), 'archive', 'application/gzip', {}],
    ];
    for (const [name, data, fileType, mime, meta] of cases) {
      const res = await upload([{ name: 'file', filename: name, data, type: 'application/octet-stream' }, { name: 'tags', data: 'geometry,lesson' }]);
      expect([name, res.status]).toEqual([name, 201]);
      const f = res.body.data;
      expect(f).toMatchObject({
        original_filename: name,
        file_type: fileType,
        mime_type: mime,
        file_size: data.length,
        checksum: createHash('sha256').update(data).digest('hex'),
        metadata: { ...meta, tags: ['geometry', 'lesson'] },
      });
      expect(f.filename).toMatch(new RegExp(`^${f.id}\\.[a-z0-9]+$`));
      expect(f.filename).not.toContain(name.split('.')[0]);
      if (mime.startsWith('audio') || mime.startsWith('video')) expect(f.metadata.duration_seconds).toBeGreaterThan(0.5);
    }
    // Fields sent as application/json keep what they say (they were "[object Object]", and the
    // tags ["a,b"] were split in two).
    const json = await upload([
      { name: 'description', data: '{"a":1}', type: 'application/json' },
      { name: 'tags', data: '["right triangles","a, b and c"]', type: 'application/json' },
      { name: 'file', filename: 'notes.txt', data: 'hello' },
    ]);
    expect([json.status, json.body.data?.metadata?.description, json.body.data?.metadata?.tags]).toEqual([201, '{"a":1}', ['right triangles', 'a, b and c']]);
  });

  it('refuses disallowed types and files that lie about their type', async () => {
    const before = await fileCount();
    const elf = (await readFile(process.execPath)).subarray(0, 200_000);
    for (const [name, data] of [
      ['program', elf],
      ['photo.png', elf],
      ['setup.pdf', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(5000, 1)])],
      ['random.txt', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ] as const) {
      const res = await upload([{ name: 'file', filename: name, data, type: 'image/png' }]);
      expect([name, res.status, res.body.error.code]).toEqual([name, 415, 'UNSUPPORTED_FILE_TYPE']);
    }
    // A PNG named like a PDF is stored as what it is.
    const renamed = await upload([{ name: 'file', filename: 'report.pdf', data: media['a.png'], type: 'application/pdf' }]);
    expect(renamed.status).toBe(201);
    expect(renamed.body.data).toMatchObject({ file_type: 'image', mime_type: 'image/png', original_filename: 'report.pdf' });
    expect(renamed.body.data.filename).toMatch(/\.png$/);
    // Declaring a type the content is not is refused.
    const declared = await upload([{ name: 'file_type', data: 'document' }, { name: 'file', filename: 'x.png', data: media['a.png'] }]);
    expect([declared.status, declared.body.error.code]).toEqual([415, 'UNSUPPORTED_FILE_TYPE']);
    expect(await fileCount()).toBe(before + 1);
  });

  it('refuses traversal names, bad fields and too many tags with 422, keeping nothing', async () => {
    const before = await fileCount();
    const names = ['../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', 'a/b.txt', 'C:\\temp\\x.txt', '%2e%2e%2fsecret.txt', '..%2f..%2fx.txt', '%252e%252e%252fx.txt', 'nul%00.txt', '..'];
    for (const filename of names) {
      const res = await upload([{ name: 'file', filename, data: 'hello' }]);
      expect([filename, res.status, res.body.error?.code]).toEqual([filename, 422, 'VALIDATION_ERROR']);
      expect(res.body.error.field_errors[0].field).toBe('filename');
    }
    for (const [field, value] of [['subdirectory', '../up'], ['subdirectory', 'a/b'], ['subdirectory', '%2e%2e'], ['tags', Array.from({ length: 11 }, (_, i) => `t${i}`).join(',')], ['tags', '[["a"], {"b": 1}]'], ['tags', `${'['.repeat(3000)}${']'.repeat(3000)}`], ['owner', 'bob']]) {
      const res = await upload([{ name: field, data: value }, { name: 'file', filename: 'ok.txt', data: 'hello' }]);
      // Tags nested thousands deep overflowed the checks' stack: 500 before.
      expect([field, value, res.status]).toEqual([field, value, 422]);
      expect(res.body.error.field_errors[0].field).toBe(field);
    }
    const missing = await upload([{ name: 'description', data: 'no file' }]);
    expect([missing.status, missing.body.error.field_errors[0]]).toEqual([422, expect.objectContaining({ field: 'file', code: 'MISSING_FIELD' })]);
    expect(await fileCount()).toBe(before);
  });

  it('cuts an upload off at the caller\'s limit with 413 and keeps nothing partial; can_upload_files false is 403', async () => {
    const limited = `lim-${randomUUID().slice(0, 8)}`;
    const t = await tokenFor(limited);
    const admin = await tokenFor(`adm-${randomUUID().slice(0, 8)}`, 'admin');
    expect((await http('GET', `${p.api}/files/stats`, { token: t })).status).toBe(200);
    const set = await http('PATCH', `${p.api}/users/${limited}/permissions`, { token: admin, body: { max_file_size_mb: 1 } });
    expect(set.status).toBe(200);

    const within = await upload([{ name: 'file', filename: 'fits.txt', data: Buffer.alloc(1024 * 1024, 0x61) }], t);
    expect(within.status).toBe(201);
    const userDir = join(p.env.STORAGE_DIR, 'files', limited);
    const blobsBefore = (await readdir(userDir)).length;
    const over = await upload([{ name: 'file', filename: 'big.txt', data: Buffer.alloc(1024 * 1024 + 1, 0x61) }], t);
    expect([over.status, over.body.error.code, over.body.error.details]).toEqual([413, 'FILE_TOO_LARGE', { filename: 'big.txt', max_file_size_mb: 1 }]);
    // Well past the limit too (the rest of the body is read and dropped, not stored).
    const far = await upload([{ name: 'file', filename: 'huge.txt', data: Buffer.alloc(20 * 1024 * 1024, 0x61) }, { name: 'tags', data: 'x' }], t);
    expect([far.status, far.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(await fileCount(t)).toBe(1);
    expect((await readdir(userDir)).length).toBe(blobsBefore);
    expect(await readdir(join(p.env.STORAGE_DIR, '.tmp'))).toEqual([]);

    expect((await http('PATCH', `${p.api}/users/${limited}/permissions`, { token: admin, body: { can_upload_files: false } })).status).toBe(200);
    const refused = await upload([{ name: 'file', filename: 'a.txt', data: 'x' }], t);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const refusedBatch = await upload([{ name: 'files', filename: 'a.txt', data: 'x' }], t, 'batch-upload');
    expect(refusedBatch.status).toBe(403);
  });

  it('keeps nothing of an upload the client abandons half way', async () => {
    const userDir = join(p.env.STORAGE_DIR, 'files', owner);
    const blobsBefore = (await readdir(userDir)).length;
    const boundary = '----vgpabort';
    const url = new URL(`${p.api}/files/upload`);
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(50 * 1024 * 1024) } });
    req.on('error', () => undefined);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.txt"\r\nContent-Type: text/plain\r\n\r\n`);
    for (let i = 0; i < 8; i++) req.write(Buffer.alloc(1024 * 1024, 0x61));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    await waitFor(async () => (await readdir(join(p.env.STORAGE_DIR, '.tmp'))).length === 0, { timeoutMs: 5000, what: 'temporary upload removed' });
    expect((await readdir(userDir)).length).toBe(blobsBefore);
    // The gateway still serves.
    expect((await upload([{ name: 'file', filename: 'after.txt', data: 'still fine' }])).status).toBe(201);
  });

  it('answers a multipart body that ends inside a part with 400 at once, keeps nothing, and serves on', async () => {
    const boundary = '----vgpcut';
    const head = (name: string, filename: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n`;
    /** POSTs `chunks` as one body (its Content-Length the sum), `pauseMs` between them. */
    const send = (path: string, chunks: string[], pauseMs: number) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const length = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
        const req = request(new URL(`${p.api}/files/${path}`), {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) },
        });
        req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        void (async () => {
          for (const [i, c] of chunks.entries()) {
            if (i > 0 && pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
            req.write(c);
          }
          req.end();
        })();
      });
    const before = await fileCount();
    // In one write the parser fails the part before the upload gets it; with a pause, while it reads.
    for (const pauseMs of [0, 150]) {
      for (const [path, chunks] of [
        ['upload', [head('file', 'cut.txt'), 'hello, the body ends here']],
        ['batch-upload', [`${head('files', 'a.txt')}whole\r\n`, `${head('files', 'b.txt')}cut short`]],
        ['upload', [`--${boundary}\r\nContent-Dispo`, 'sition: form-da']],
      ] as Array<[string, string[]]>) {
        const res = await send(path, chunks, pauseMs);
        expect([path, pauseMs, res.status, JSON.parse(res.body).error?.code]).toEqual([path, pauseMs, 400, 'INVALID_INPUT']);
      }
    }
    expect(await fileCount()).toBe(before);
    expect(await readdir(join(p.env.STORAGE_DIR, '.tmp'))).toEqual([]);
    expect((await upload([{ name: 'file', filename: 'after.txt', data: 'the gateway still serves' }])).status).toBe(201);
  });

  it('keeps multipart to the upload routes and uploads to multipart', async () => {
    const { body, type } = multipart([{ name: 'configuration', data: '{}' }]);
    const json = await http('POST', `${p.api}/videos/generate`, { token, rawBody: body, headers: { 'content-type': type } });
    expect([json.status, json.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const notMultipart = await http('POST', `${p.api}/files/upload`, { token, body: { file: 'x' } });
    expect([notMultipart.status, notMultipart.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect((await upload([{ name: 'file', filename: 'a.txt', data: 'x' }], '')).status).toBe(401);
  });

  it('serves files to their owner with ranges, and through signed links that expire and cannot be altered', async () => {
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => 'abcdefghij'[i % 10]).join(''));
    const up = await upload([{ name: 'file', filename: 'Übung.txt', data }]);
    const id = up.body.data.id;
    const meta = await http('GET', `${p.api}/files/${id}`, { token });
    const link = new URL(meta.body.data.download_url);
    expect(link.origin + link.pathname).toBe(`http://localhost:3000/api/v1/files/${id}/secure`);
    const expires = Number(link.searchParams.get('expires'));
    expect(expires - Date.now() / 1000).toBeGreaterThan(3500);
    expect(expires - Date.now() / 1000).toBeLessThanOrEqual(3600);

    const gw = p.api.replace('/api/v1', '');
    const signed = await fetch(`${gw}${link.pathname}${link.search}`);
    expect(signed.status).toBe(200);
    expect(Buffer.from(await signed.arrayBuffer()).equals(data)).toBe(true);
    expect(signed.headers.get('content-disposition')).toBe(`attachment; filename="_bung.txt"; filename*=UTF-8''%C3%9Cbung.txt`);
    expect(signed.headers.get('content-type')).toMatch(/^text\/plain/);
    // HEAD: the same head, no body, and no byte read (nothing added to videos_streamed_bytes_total).
    const streamedBytes = async () =>
      [...(await (await fetch(`${gw}/metrics`)).text()).matchAll(/^videos_streamed_bytes_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const streamedBefore = await streamedBytes();
    for (const [url, headers, status, length] of [
      [`${gw}${link.pathname}${link.search}`, {}, 200, '10000'],
      [`${p.api}/files/${id}/download`, { authorization: `Bearer ${token}`, range: 'bytes=10-19' }, 206, '10'],
    ] as const) {
      const head = await fetch(url, { method: 'HEAD', headers });
      expect([head.status, head.headers.get('content-length'), head.headers.get('etag'), (await head.arrayBuffer()).byteLength]).toEqual([status, length, signed.headers.get('etag'), 0]);
    }
    expect(await streamedBytes()).toBe(streamedBefore);

    const sig = link.searchParams.get('signature') as string;
    const altered = [
      `?expires=${expires + 60}&signature=${sig}`,
      `?expires=${expires}&signature=${(sig[0] === 'a' ? 'b' : 'a') + sig.slice(1)}`,
      `?expires=${expires}`,
      '',
    ];
    for (const q of altered) {
      const r = await http('GET', `${gw}${link.pathname}${q}`);
      expect([q, r.status, r.body.error.code]).toEqual([q, 403, 'FORBIDDEN']);
    }
    // Another file's id with this file's signature.
    expect((await http('GET', `${gw}/api/v1/files/${randomUUID()}/secure${link.search}`)).status).toBe(403);
    // A genuine signature whose time is up.
    const past = Math.floor(Date.now() / 1000) - 10;
    const expiredSig = createHmac('sha256', SECRET).update(`/api/v1/files/${id}/secure\n${owner}\n${past}`).digest('hex');
    const expired = await http('GET', `${gw}/api/v1/files/${id}/secure?expires=${past}&signature=${expiredSig}`);
    expect([expired.status, expired.body.error.details]).toEqual([403, { reason: 'expired' }]);
    // A forged, expired link learns nothing: the same answer for this file's id and a missing one.
    for (const probeId of [id, randomUUID()]) {
      const probe = await http('GET', `${gw}/api/v1/files/${probeId}/secure?expires=1&signature=${'a'.repeat(64)}`);
      expect([probe.status, probe.body.error.details]).toEqual([403, { reason: 'invalid_signature' }]);
    }

    const part = await fetch(`${p.api}/files/${id}/download`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=10-19' } });
    expect([part.status, part.headers.get('content-range'), Buffer.from(await part.arrayBuffer()).toString()]).toEqual([206, 'bytes 10-19/10000', 'abcdefghij']);
    const etag = part.headers.get('etag') as string;
    expect((await fetch(`${p.api}/files/${id}/download`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${p.api}/files/${id}/download`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=20000-' } })).status).toBe(416);

    const stranger = await tokenFor(`stranger-${randomUUID().slice(0, 6)}`);
    for (const [method, path] of [['GET', ''], ['GET', '/download'], ['DELETE', '']]) {
      const r = await http(method, `${p.api}/files/${id}${path}`, { token: stranger });
      expect([method, path, r.status]).toEqual([method, path, 404]);
    }
    const del = await http('DELETE', `${p.api}/files/${id}`, { token });
    expect(del.status).toBe(200);
    expect((await http('GET', `${p.api}/files/${id}`, { token })).status).toBe(404);
    expect((await fetch(`${gw}${link.pathname}${link.search}`)).status).toBe(403);
    // The download was resolved (and cached) a moment ago: a deleted file is still gone at once.
    expect((await http('GET', `${p.api}/files/${id}/download`, { token })).status).toBe(404);
  });

  it('stops serving a file deleted elsewhere (another replica) at once, though its download was cached', async () => {
    const data = Buffer.from('x'.repeat(5000));
    const id = (await upload([{ name: 'file', filename: 'gone.txt', data }])).body.data.id as string;
    const ranged = await fetch(`${p.api}/files/${id}/download`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=0-9' } });
    expect([ranged.status, (await ranged.arrayBuffer()).byteLength]).toEqual([206, 10]);
    // Deleted straight through the files service, as another gateway would.
    const user = { user_id: owner, role: UserRole.USER, status: UserStatus.ACTIVE, permissions: { user_id: owner, role: UserRole.USER, ...ROLE_DEFAULT_PERMISSIONS[UserRole.USER] } };
    expect(await nats.request(FilesSubjects.delete, { user, file_id: id })).toEqual({ file_id: id, deleted: true });
    const after = await http('GET', `${p.api}/files/${id}/download`, { token, headers: { range: 'bytes=0-9' } });
    expect([after.status, after.body.error.code]).toEqual([404, 'FILE_NOT_FOUND']);
  });

  it('batch-uploads: stored and rejected files reported apart', async () => {
    const batcher = await tokenFor(`bat-${randomUUID().slice(0, 6)}`);
    const res = await upload(
      [
        { name: 'files', filename: 'one.txt', data: 'one' },
        { name: 'files', filename: '../two.txt', data: 'two' },
        { name: 'files', filename: 'three.png', data: media['a.png'] },
        { name: 'files', filename: 'evil.png', data: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 1)]) },
        { name: 'files', filename: 'five.md', data: '# five' },
        { name: 'description', data: 'a batch' },
      ],
      batcher,
      'batch-upload',
    );
    expect(res.status).toBe(201);
    expect(res.body.message).toBe('3 file(s) stored, 2 rejected');
    expect(res.body.data.stored.map((f: { original_filename: string }) => f.original_filename)).toEqual(['one.txt', 'three.png', 'five.md']);
    expect(res.body.data.stored[0].metadata.description).toBe('a batch');
    expect(res.body.data.rejected.map((r: { filename: string; error: { code: string } }) => [r.filename, r.error.code])).toEqual([
      ['../two.txt', 'VALIDATION_ERROR'],
      ['evil.png', 'UNSUPPORTED_FILE_TYPE'],
    ]);
    const stats = await http('GET', `${p.api}/files/stats`, { token: batcher });
    expect(stats.body.data).toEqual({ total_files: 3, total_bytes: 3 + media['a.png'].length + 6, by_type: { document: { files: 2, bytes: 9 }, image: { files: 1, bytes: media['a.png'].length } } });
    const list = await http('GET', `${p.api}/files?file_type=image`, { token: batcher });
    expect(list.body.data.items.map((f: { original_filename: string }) => f.original_filename)).toEqual(['three.png']);
    // Each listed file carries its signed link, which serves it without a token.
    const listed = new URL(list.body.data.items[0].download_url);
    expect(listed.pathname).toBe(`/api/v1/files/${list.body.data.items[0].id}/secure`);
    const viaLink = await fetch(`${p.api.replace('/api/v1', '')}${listed.pathname}${listed.search}`);
    expect([viaLink.status, Buffer.from(await viaLink.arrayBuffer()).equals(media['a.png'])]).toEqual([200, true]);

    const tooMany = await upload(Array.from({ length: 51 }, (_, i) => ({ name: 'files', filename: `f${i}.txt`, data: `file ${i}` })), batcher, 'batch-upload');
    expect([tooMany.status, tooMany.body.data.stored.length, tooMany.body.data.rejected.length]).toEqual([201, 50, 1]);
  });

  it('indexes uploaded documents for the render worker\'s retrieval', async () => {
    const reader = `rag-${randomUUID().slice(0, 6)}`;
    const t = await tokenFor(reader);
    const up = await upload([{ name: 'file', filename: 'lesson.md', data: '# Pythagoras\n\nIn a right triangle the square of the hypotenuse equals the sum of the squares of the legs.' }], t);
    const id = up.body.data.id;
    // The extraction is a file_processing job of the caller, followed like any job.
    const jobId = up.body.data.metadata.text_job_id;
    expect(jobId).toEqual(expect.any(String));
    await waitFor(async () => (await http('GET', `${p.api}/files/${id}`, { token: t })).body.data.metadata.text_extraction === 'done', { timeoutMs: 10_000, what: 'text extraction' });
    const job = await waitFor(async () => {
      const r = await http('GET', `${p.api}/jobs/${jobId}`, { token: t });
      return r.body.data?.status === 'completed' ? r.body.data : null;
    }, { timeoutMs: 10_000, what: 'file_processing job completed' });
    expect(job).toMatchObject({ job_type: 'file_processing', user_id: reader, result: { file_id: id, text_chunks: 1 } });
    const hits = await nats.request<RetrievedPassage[]>(FilesSubjects.searchPassages, { user_id: reader, query: 'hypotenuse squares', limit: 3 });
    expect(hits).toEqual([expect.objectContaining({ file_id: id, filename: 'lesson.md', chunk_index: 0, text: expect.stringContaining('hypotenuse') })]);
    expect(await nats.request(FilesSubjects.searchPassages, { user_id: owner, query: 'hypotenuse squares', limit: 3 })).toEqual([]);
  });
});
