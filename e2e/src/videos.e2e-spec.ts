import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type RecordVideoRequest, VideoFormat, type VideoMetadata, VideoResolution, VideosSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { LocalFsStorage } from '@vgp/storage';
import { http, tokenFor } from '@vgp/testing';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { type Platform, startPlatform } from './platform.js';

const run = promisify(execFile);
// Debian's Chromium (`npm run setup` installs it), headless, with nothing reaching for the network.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// A video long and dense enough (about 4 Mbit/s) that a browser cannot have buffered the point it seeks to.
const LONG_SECONDS = 40;

interface VideoElement {
  readyState: number;
  duration: number;
  currentTime: number;
  videoWidth: number;
  error: { code: number; message: string } | null;
  addEventListener(event: string, fn: () => void, opts?: { once: boolean }): void;
}
const SRT = '1\n00:00:00,000 --> 00:00:01,000\nA right triangle\n\n2\n00:00:01,000 --> 00:00:02,000\na² + b² = c²\n';
const VTT = 'WEBVTT\n\n00:00.000 --> 00:01.000\nA right triangle\n\n00:01.000 --> 00:02.000\na² + b² = c²\n';

/** Bytes of a response (fetch), with its status and headers. */
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString()) };
}

describe('videos: metadata, byte streaming, thumbnails, subtitles, sharing', () => {
  let p: Platform;
  let nc: NatsConnection;
  let nats: NatsClient;
  let work: string;
  let mp4: Buffer;
  let longMp4: Buffer;
  let token: string;
  let auth: Record<string, string>;
  const owner = `vid-${randomUUID().slice(0, 8)}`;

  /** Writes a real MP4 (ffmpeg testsrc, 2 s), three thumbnail sizes and SRT/VTT under the render worker's keys, then records it. */
  async function recordVideo(userId: string, media = { bytes: mp4, seconds: 2 }): Promise<{ jobId: string; video: VideoMetadata; req: RecordVideoRequest }> {
    const jobId = randomUUID();
    const dir = `videos/${userId}/${jobId}`;
    const storage = new LocalFsStorage(p.env.STORAGE_DIR);
    const put = async (key: string, body: Buffer) => (await storage.put(key, body)).size;
    const size = await put(`${dir}/video.mp4`, media.bytes);
    const thumbs = await Promise.all(
      (['small', 'medium', 'large'] as const).flatMap((s) => [0, 1].map(async (index) => ({ s, index, bytes: await readFile(join(work, `thumb-${s}.jpg`)) }))),
    );
    const thumbnails = [];
    for (const t of thumbs) {
      const key = `${dir}/thumbnails/${t.index}-${t.s}.jpg`;
      thumbnails.push({ filename: `${t.index}-${t.s}.jpg`, file_path: key, file_size: await put(key, t.bytes), width: 160, height: 90, format: 'jpg', timestamp_seconds: t.index, size: t.s, index: t.index });
    }
    const subtitle_tracks = [];
    for (const [format, text] of [['srt', SRT], ['vtt', VTT]] as const) {
      const key = `${dir}/subtitles/en.${format}`;
      subtitle_tracks.push({ language: 'en', language_name: 'English', filename: `en.${format}`, file_path: key, file_size: await put(key, Buffer.from(text)), format, is_auto_generated: true });
    }
    const req: RecordVideoRequest = {
      job_id: jobId,
      user_id: userId,
      filename: 'pythagorean_theorem_video.mp4',
      file_path: `${dir}/video.mp4`,
      file_size: size,
      file_hash: createHash('sha256').update(media.bytes).digest('hex'),
      duration_seconds: media.seconds,
      width: 320,
      height: 240,
      resolution: VideoResolution.SD_480P,
      format: VideoFormat.MP4,
      title: 'Pythagorean theorem',
      tags: ['math'],
      thumbnails,
      subtitle_tracks,
    };
    return { jobId, req, video: await nats.request<VideoMetadata>(VideosSubjects.record, req) };
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vgp-videos-e2e-'));
    const [platform] = await Promise.all([
      startPlatform('videos', { RPC_TIMEOUT_MS: '3000', RATE_LIMIT_ENABLED: 'false' }, ['users', 'jobs', 'videos', 'files', 'gateway']),
      run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', join(work, 'v.mp4')]),
      // Noise keeps the bitrate at its floor; a keyframe every second; AAC audio as the render worker writes.
      run('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc=duration=${LONG_SECONDS}:size=640x360:rate=25,noise=alls=30:allf=t`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${LONG_SECONDS}`],
        ...['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-minrate', '4M', '-maxrate', '4M', '-bufsize', '2M', '-g', '25'],
        ...['-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', '-shortest', join(work, 'long.mp4')],
      ]),
      ...(['small', 'medium', 'large'] as const).map((s, i) =>
        run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${80 * (i + 1)}x${60 * (i + 1)}`, '-frames:v', '1', join(work, `thumb-${s}.jpg`)]),
      ),
    ]);
    p = platform;
    mp4 = await readFile(join(work, 'v.mp4'));
    longMp4 = await readFile(join(work, 'long.mp4'));
    nc = await connect({ servers: p.env.NATS_URL });
    nats = new NatsClient(nc, { subjectPrefix: p.env.NATS_SUBJECT_PREFIX, timeoutMs: 3000 });
    token = await tokenFor(owner);
    auth = { authorization: `Bearer ${token}` };
  });

  afterAll(async () => {
    await nc?.close();
    await p?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('serves the spec "Video Metadata Response" with absolute links; 409 while the job runs; 404 for others', async () => {
    const { jobId, video } = await recordVideo(owner);
    const res = await http('GET', `${p.api}/videos/jobs/${jobId}/metadata`, { token });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Video metadata retrieved');
    expect(res.body.data).toMatchObject({
      video_id: video.id,
      job_id: jobId,
      file_size: mp4.length,
      file_size_mb: Math.round((mp4.length / 1048576) * 100) / 100,
      duration_formatted: '00:02',
      format: 'mp4',
      status: 'ready',
      download_url: expect.stringMatching(new RegExp(`^http://localhost:3000/api/v1/videos/jobs/${jobId}/download\\?expires=\\d+&signature=[0-9a-f]{64}$`)),
      thumbnail_urls: [0, 1].map((i) => expect.stringMatching(new RegExp(`^http://localhost:3000/api/v1/videos/jobs/${jobId}/thumbnail\\?size=medium&index=${i}&expires=\\d+&signature=[0-9a-f]{64}$`))),
    });
    expect(res.body.data.subtitle_tracks.map((t: { format: string }) => t.format)).toEqual(['srt', 'vtt']);

    // The links are signed, so that a browser's <video>, <img> and <track>, which send no token,
    // load a private video's media; one signature opens every media route of the job for an hour.
    const local = (u: string) => u.replace('http://localhost:3000/api/v1', p.api);
    const signed = local(res.body.data.download_url);
    const query = signed.slice(signed.indexOf('?') + 1);
    expect(Number(/expires=(\d+)/.exec(query)?.[1]) - Date.now() / 1000).toBeGreaterThan(3500);
    const bytes = await get(signed, { range: 'bytes=0-9' });
    expect([bytes.status, bytes.headers.get('content-range'), bytes.headers.get('content-type')]).toEqual([206, `bytes 0-9/${mp4.length}`, 'video/mp4']);
    expect((await get(local(res.body.data.thumbnail_urls[1]))).headers.get('content-type')).toBe('image/jpeg');
    expect((await get(`${p.api}/videos/jobs/${jobId}/stream?${query}`, { range: 'bytes=5-' })).status).toBe(206);
    expect((await get(`${p.api}/videos/jobs/${jobId}/subtitles/en?format=vtt&${query}`)).headers.get('content-type')).toMatch(/^text\/vtt/);
    const flipped = signed.replace(/signature=(.)/, (_m, c: string) => `signature=${c === 'a' ? 'b' : 'a'}`);
    for (const refused of [flipped, signed.replace(/expires=\d+/, 'expires=1000'), `${p.api}/videos/jobs/${randomUUID()}/download?${query}`]) {
      const r = await get(refused);
      expect([refused, r.status]).toEqual([refused, 403]);
    }
    // Without a signature the media routes still need a token, and the metadata always does.
    expect((await get(`${p.api}/videos/jobs/${jobId}/download`)).status).toBe(401);
    expect((await get(`${p.api}/videos/jobs/${jobId}/metadata?${query}`)).status).toBe(401);

    const queued = await http('POST', `${p.api}/videos/generate`, { token, body: { configuration: { topic: 'Triangles', context: 'Right ones' } } });
    expect(queued.status).toBe(201);
    const notReady = await http('GET', `${p.api}/videos/jobs/${queued.body.data.job_id}/metadata`, { token });
    expect([notReady.status, notReady.body.error?.code]).toEqual([409, 'VIDEO_NOT_READY']);
    const notReadyBytes = await get(`${p.api}/videos/jobs/${queued.body.data.job_id}/download`, auth);
    expect(notReadyBytes.status).toBe(409);
    // A job that ended without a video will never have one: 404, so a client waiting for it stops.
    expect((await http('POST', `${p.api}/jobs/${queued.body.data.job_id}/cancel`, { token })).status).toBe(200);
    const never = await http('GET', `${p.api}/videos/jobs/${queued.body.data.job_id}/metadata`, { token });
    expect([never.status, never.body.error?.code, never.body.error?.details?.job_status]).toEqual([404, 'VIDEO_NOT_FOUND', 'cancelled']);
    // A job id in upper case is the same job.
    expect((await http('GET', `${p.api}/videos/jobs/${jobId.toUpperCase()}/metadata`, { token })).status).toBe(200);

    const stranger = await tokenFor(`other-${randomUUID().slice(0, 8)}`);
    for (const id of [jobId, queued.body.data.job_id, randomUUID()]) {
      const r = await http('GET', `${p.api}/videos/jobs/${id}/metadata`, { token: stranger });
      expect([r.status, r.body.error.code]).toEqual([404, 'JOB_NOT_FOUND']);
    }
    expect((await http('GET', `${p.api}/videos/${video.id}`, { token: stranger })).status).toBe(404);
    expect((await get(`${p.api}/videos/jobs/${jobId}/download`, { authorization: `Bearer ${stranger}` })).status).toBe(404);
  });

  it('downloads and streams with ranges, validators and the right headers', async () => {
    const { jobId } = await recordVideo(owner);
    const url = `${p.api}/videos/jobs/${jobId}/download`;
    const full = await get(url, auth);
    expect(full.status).toBe(200);
    expect(full.body.equals(mp4)).toBe(true);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('content-length')).toBe(String(mp4.length));
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-disposition')).toMatch(/^attachment; filename="pythagorean_theorem_video\.mp4"/);
    const etag = full.headers.get('etag') as string;
    const lastModified = full.headers.get('last-modified') as string;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(new Date(lastModified).getTime()).not.toBeNaN();

    expect((await get(`${url}?inline=true`, auth)).headers.get('content-disposition')).toMatch(/^inline;/);

    const part = await get(url, { ...auth, range: 'bytes=100-1123' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${mp4.length}`);
    expect(part.headers.get('content-length')).toBe('1024');
    expect(part.body.equals(mp4.subarray(100, 1124))).toBe(true);

    const tail = await get(`${p.api}/videos/jobs/${jobId}/stream`, { ...auth, range: 'bytes=-500' });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(tail.body.equals(mp4.subarray(mp4.length - 500))).toBe(true);

    const open = await get(url, { ...auth, range: `bytes=${mp4.length - 10}-` });
    expect([open.status, open.body.length, open.headers.get('content-range')]).toEqual([206, 10, `bytes ${mp4.length - 10}-${mp4.length - 1}/${mp4.length}`]);

    for (const range of [`bytes=${mp4.length}-`, 'bytes=500-100', 'bytes=abc']) {
      const bad = await get(url, { ...auth, range });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe(`bytes */${mp4.length}`);
      expect(bad.json()).toMatchObject({ status: 'error', error: { code: 'RANGE_NOT_SATISFIABLE' } });
    }

    expect((await get(url, { ...auth, 'if-none-match': etag })).status).toBe(304);
    expect((await get(url, { ...auth, 'if-modified-since': lastModified })).status).toBe(304);
    expect((await get(url, { ...auth, 'if-none-match': '"stale"' })).status).toBe(200);
    // A stale If-Range gets the whole body.
    expect((await get(url, { ...auth, range: 'bytes=0-9', 'if-range': '"stale"' })).status).toBe(200);
  });

  it('counts every download and view exactly once under concurrency, not seeks or revalidations', async () => {
    const { jobId, video } = await recordVideo(owner);
    const stream = `${p.api}/videos/jobs/${jobId}/stream`;
    const download = `${p.api}/videos/jobs/${jobId}/download`;
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => get(stream, auth)),
      ...Array.from({ length: 5 }, () => get(stream, { ...auth, range: 'bytes=0-' })),
      ...Array.from({ length: 12 }, () => get(download, auth)),
      ...Array.from({ length: 6 }, () => get(stream, { ...auth, range: 'bytes=2000-2999' })),
    ]);
    expect(results.every((r) => r.status === 200 || r.status === 206)).toBe(true);
    const etag = results[0].headers.get('etag') as string;
    expect((await get(stream, { ...auth, 'if-none-match': etag })).status).toBe(304);
    const after = await http('GET', `${p.api}/videos/${video.id}`, { token });
    expect([after.body.data.view_count, after.body.data.download_count]).toEqual([25, 12]);
  });

  it('serves thumbnails by size and index, and subtitles as SRT or VTT', async () => {
    const { jobId } = await recordVideo(owner);
    const large = await get(`${p.api}/videos/jobs/${jobId}/thumbnail?size=large&index=1`, auth);
    expect(large.status).toBe(200);
    expect(large.headers.get('content-type')).toBe('image/jpeg');
    expect(large.body.equals(await readFile(join(work, 'thumb-large.jpg')))).toBe(true);
    const medium = await get(`${p.api}/videos/jobs/${jobId}/thumbnail`, auth);
    expect(medium.body.equals(await readFile(join(work, 'thumb-medium.jpg')))).toBe(true);
    expect((await get(`${p.api}/videos/jobs/${jobId}/thumbnail?index=5`, auth)).status).toBe(404);
    expect((await get(`${p.api}/videos/jobs/${jobId}/thumbnail?size=huge`, auth)).status).toBe(422);

    const srt = await get(`${p.api}/videos/jobs/${jobId}/subtitles/en?format=srt`, auth);
    expect([srt.status, srt.headers.get('content-type'), srt.body.toString()]).toEqual([200, 'application/x-subrip; charset=utf-8', SRT]);
    const vtt = await get(`${p.api}/videos/jobs/${jobId}/subtitles/en?format=vtt`, auth);
    expect([vtt.status, vtt.headers.get('content-type'), vtt.body.toString()]).toEqual([200, 'text/vtt; charset=utf-8', VTT]);
    expect((await get(`${p.api}/videos/jobs/${jobId}/subtitles/fr`, auth)).status).toBe(404);
  });

  it('lists with filters, edits within the limits, and shares publicly', async () => {
    const lister = `lst-${randomUUID().slice(0, 8)}`;
    const t = await tokenFor(lister);
    const { video } = await recordVideo(lister);
    await recordVideo(lister);
    const list = await http('GET', `${p.api}/videos?items_per_page=1&sort_by=created_at&sort_order=asc`, { token: t });
    expect(list.body.data.pagination).toMatchObject({ total_items: 2, total_pages: 2, has_next: true });
    expect(list.body.data.items[0].id).toBe(video.id);
    expect((await http('GET', `${p.api}/videos?tag=math&format=mp4&status=ready`, { token: t })).body.data.items).toHaveLength(2);
    expect((await http('GET', `${p.api}/videos?format=mkv`, { token: t })).status).toBe(422);

    const tooLong = await http('PATCH', `${p.api}/videos/${video.id}`, { token: t, body: { title: 'x'.repeat(201), tags: Array.from({ length: 11 }, (_, i) => `t${i}`) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.field_errors.map((f: { field: string }) => f.field).sort()).toEqual(['tags', 'title']);
    // null is no answer to "public or not" (it reached a NOT NULL column: 500 before).
    const nullPublic = await http('PATCH', `${p.api}/videos/${video.id}`, { token: t, body: { is_public: null } });
    expect([nullPublic.status, nullPublic.body.error.field_errors[0].field]).toEqual([422, 'is_public']);

    const pub = `${p.api}/public/videos/${video.id}`;
    expect((await http('GET', pub)).status).toBe(404);
    expect((await get(`${pub}/stream`)).status).toBe(404);
    const edited = await http('PATCH', `${p.api}/videos/${video.id}`, { token: t, body: { title: 'x'.repeat(200), description: 'd'.repeat(1000), tags: ['a', 'b'], is_public: true } });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ is_public: true, tags: ['a', 'b'] });

    const meta = await http('GET', pub);
    expect(meta.status).toBe(200);
    expect(meta.body.data).toMatchObject({ video_id: video.id, download_url: `http://localhost:3000/api/v1/public/videos/${video.id}/stream` });
    expect(meta.body.data.user_id).toBeUndefined();
    const streamed = await get(`${pub}/stream`, { range: 'bytes=0-99' });
    expect([streamed.status, streamed.headers.get('content-type'), streamed.body.length]).toEqual([206, 'video/mp4', 100]);
    expect((await get(`${pub}/thumbnail?size=small`)).headers.get('content-type')).toBe('image/jpeg');
  });

  it('plays and seeks in a real browser: a <video> on a private video\'s signed link and on the public stream asks for ranges and lands where it was sent', async () => {
    expect(existsSync(CHROMIUM) ? CHROMIUM : 'Chromium is missing: run npm run setup').toBe(CHROMIUM);
    expect(longMp4.length).toBeGreaterThan(12 * 1024 * 1024);
    const { jobId, video } = await recordVideo(owner, { bytes: longMp4, seconds: LONG_SECONDS });
    // A private video: the element sends no token, the metadata's signed link is enough.
    const meta = await http('GET', `${p.api}/videos/jobs/${jobId}/metadata`, { token });
    const signed = String(meta.body.data.download_url).replace('http://localhost:3000/api/v1', p.api).replace('/download?', '/stream?');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      for (const src of [signed, `${p.api}/public/videos/${video.id}/stream`]) {
        if (!src.includes('signature=')) expect((await http('PATCH', `${p.api}/videos/${video.id}`, { token, body: { is_public: true } })).status).toBe(200);
        const page = await browser.newPage();
        const answers: Array<{ status: number; range?: string; contentRange?: string }> = [];
        page.on('response', (r) => {
          if (r.url() === src) answers.push({ status: r.status(), range: r.request().headers().range, contentRange: r.headers()['content-range'] });
        });
        await page.setContent(`<video muted preload="metadata" src="${src}"></video>`);
        const seen = await page.evaluate(async (target) => {
          // Runs in the page; the e2e project is typed for Node, so the element's few members are spelled out.
          const v = (globalThis as unknown as { document: { querySelector(s: string): VideoElement } }).document.querySelector('video');
          const once = (event: string) =>
            new Promise<void>((resolve, reject) => {
              v.addEventListener(event, () => resolve(), { once: true });
              v.addEventListener('error', () => reject(new Error(`media error ${v.error?.code}: ${v.error?.message}`)), { once: true });
            });
          if (v.readyState < 1) await once('loadedmetadata');
          const duration = v.duration;
          const seeked = once('seeked');
          v.currentTime = target;
          await seeked;
          if (v.readyState < 2) await once('loadeddata');
          return { duration, currentTime: v.currentTime, readyState: v.readyState, width: v.videoWidth };
        }, LONG_SECONDS - 5);
        expect(seen.duration).toBeCloseTo(LONG_SECONDS, 0);
        expect(Math.abs(seen.currentTime - (LONG_SECONDS - 5))).toBeLessThan(0.5);
        expect(seen.readyState).toBeGreaterThanOrEqual(2);
        expect(seen.width).toBe(640);
        // The seek was served by a range that starts deep in the file, answered 206 with its Content-Range.
        const starts = answers.filter((a) => a.status === 206).map((a) => Number(/^bytes (\d+)-/.exec(a.contentRange ?? '')?.[1] ?? -1));
        expect(Math.max(...starts)).toBeGreaterThan(longMp4.length / 2);
        expect(answers.every((a) => a.status === 206 || a.status === 200)).toBe(true);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });

  it('soft-deletes: status deleted, gone from lists and links, bytes kept until the retention passes', async () => {
    const { jobId, video, req } = await recordVideo(owner);
    const del = await http('DELETE', `${p.api}/videos/${video.id}`, { token });
    expect([del.status, del.body.data.status]).toEqual([200, 'deleted']);
    expect((await http('GET', `${p.api}/videos/${video.id}`, { token })).status).toBe(404);
    expect((await http('GET', `${p.api}/videos/jobs/${jobId}/metadata`, { token })).status).toBe(404);
    expect((await get(`${p.api}/videos/jobs/${jobId}/stream`, auth)).status).toBe(404);
    const list = await http('GET', `${p.api}/videos?items_per_page=100`, { token });
    expect(list.body.data.items.map((v: { id: string }) => v.id)).not.toContain(video.id);
    // Default retention is days: the bytes are still there.
    expect((await stat(join(p.env.STORAGE_DIR, req.file_path))).size).toBe(mp4.length);
  });
});
