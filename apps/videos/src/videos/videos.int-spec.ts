import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AppError,
  type AuthContext,
  type PaginatedResponse,
  type RecordVideoRequest,
  type ResolvedAsset,
  type ResolveUserReply,
  ROLE_DEFAULT_PERMISSIONS,
  UserRole,
  UsersSubjects,
  UserStatus,
  VideoFormat,
  type VideoMetadata,
  type VideoMetadataView,
  VideoResolution,
  VideosEvents,
  VideosSubjects,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { LocalFsStorage } from '@vgp/storage';
import { createTestInfra, type RunningService, type ServiceProcess, spawnService, startService, type TestInfra, waitFor } from '@vgp/testing';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { AppModule } from '../app.module.js';
import { LowercaseJobIds1764200000000 } from '../migrations/1764200000000-lowercase-job-ids.js';
import { VideosConfig } from '../videos.config.js';

const user = (id: string, role = UserRole.USER): AuthContext => ({
  user_id: id,
  role,
  status: UserStatus.ACTIVE,
  permissions: { user_id: id, role, ...ROLE_DEFAULT_PERMISSIONS[role] },
});

function recordFor(userId: string, jobId: string = randomUUID(), over: Partial<RecordVideoRequest> = {}): RecordVideoRequest {
  const dir = `videos/${userId}/${jobId}`;
  return {
    job_id: jobId,
    user_id: userId,
    filename: 'pythagorean_theorem_video.mp4',
    file_path: `${dir}/video.mp4`,
    file_size: 15728640,
    file_hash: 'ab'.repeat(32),
    duration_seconds: 120.5,
    width: 1920,
    height: 1080,
    resolution: VideoResolution.FHD_1080P,
    format: VideoFormat.MP4,
    title: 'Pythagorean Theorem Explanation',
    description: 'Educational video explaining the Pythagorean theorem',
    tags: ['math'],
    thumbnails: [0, 1].flatMap((index) =>
      (['small', 'medium', 'large'] as const).map((size) => ({
        filename: `${index}-${size}.jpg`,
        file_path: `${dir}/thumbnails/${index}-${size}.jpg`,
        file_size: 1000,
        width: 320,
        height: 180,
        format: 'jpg',
        timestamp_seconds: index * 10,
        size,
        index,
      })),
    ),
    subtitle_tracks: (['srt', 'vtt'] as const).map((format) => ({
      language: 'en',
      language_name: 'English',
      filename: `en.${format}`,
      file_path: `${dir}/subtitles/en.${format}`,
      file_size: 200,
      format,
      is_auto_generated: true,
    })),
    ...over,
  };
}

describe('videos service over NATS (real PostgreSQL and NATS)', () => {
  let infra: TestInfra;
  let svc: RunningService<VideosConfig>;
  /** The real users service: public reads ask it whether the owner's account shows public content. */
  let users: ServiceProcess;
  let nc: NatsConnection;
  let client: NatsClient;
  /** For the checks; `holder` holds row locks open, as a concurrent request's transaction would. */
  let db: pg.Client;
  let holder: pg.Client;
  const alice = user('alice');
  const bob = user('bob');
  const base = 'http://localhost:3000/api/v1';

  beforeAll(async () => {
    infra = await createTestInfra('videos');
    users = await spawnService('users', infra.env);
    svc = await startService({
      module: AppModule,
      config: VideosConfig,
      service: 'videos',
      env: { ...infra.env, VIDEO_DELETE_RETENTION_SECONDS: '1', VIDEO_PURGE_INTERVAL_SECONDS: '1' },
    });
    nc = await connect({ servers: infra.natsUrl });
    client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 3000 });
    db = new pg.Client({ connectionString: infra.databaseUrl });
    holder = new pg.Client({ connectionString: infra.databaseUrl });
    await Promise.all([db.connect(), holder.connect()]);
  });

  afterAll(async () => {
    await db?.end();
    await holder?.end();
    await nc?.close();
    await svc?.close();
    await users?.stop();
    await infra?.cleanup();
  });

  const fails = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as AppError);
  /** Resolves once `n` statements of this database wait for a row lock. */
  const lockWaiters = (n: number) =>
    waitFor(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n === n, {
      timeoutMs: 5000,
      intervalMs: 20,
      what: `${n} lock waiter(s)`,
    });

  it('records a video once per job, however often the worker asks', async () => {
    const req = recordFor('alice');
    const [a, b] = await Promise.all([client.request<VideoMetadata>(VideosSubjects.record, req), client.request<VideoMetadata>(VideosSubjects.record, req)]);
    const c = await client.request<VideoMetadata>(VideosSubjects.record, { ...req, title: 'Other' });
    expect(a.id).toBe(b.id);
    expect(c.id).toBe(a.id);
    expect(c).toMatchObject({ job_id: req.job_id, user_id: 'alice', status: 'ready', title: 'Pythagorean Theorem Explanation', is_public: false, view_count: 0, download_count: 0, is_deleted: false, tags: ['math'] });
    expect(c.thumbnails).toHaveLength(6);
    expect(c.thumbnails[0]).toMatchObject({ id: expect.any(String), created_at: expect.any(String) });
  });

  it('refuses a record with an unsafe key or a bad format', async () => {
    const err = await fails(client.request(VideosSubjects.record, recordFor('alice', randomUUID(), { file_path: '../../etc/passwd', format: 'mkv' as VideoFormat })));
    expect(err).toMatchObject({ status: 422, code: 'VALIDATION_ERROR' });
    expect((err as AppError).field_errors?.map((f) => f.field)).toEqual(['file_path', 'format']);
  });

  it('serves the spec "Video Metadata Response" by job, to its owner only', async () => {
    const req = recordFor('alice');
    const v = await client.request<VideoMetadata>(VideosSubjects.record, req);
    const view = await client.request<VideoMetadataView>(VideosSubjects.getByJob, { user: alice, job_id: req.job_id, base_url: base });
    expect(view).toEqual({
      video_id: v.id,
      job_id: req.job_id,
      filename: 'pythagorean_theorem_video.mp4',
      file_size: 15728640,
      file_size_mb: 15,
      duration_seconds: 120.5,
      duration_formatted: '02:00',
      width: 1920,
      height: 1080,
      resolution: '1080p',
      format: 'mp4',
      status: 'ready',
      title: 'Pythagorean Theorem Explanation',
      description: 'Educational video explaining the Pythagorean theorem',
      download_url: `${base}/videos/jobs/${req.job_id}/download`,
      thumbnail_urls: [0, 1].map((i) => `${base}/videos/jobs/${req.job_id}/thumbnail?size=medium&index=${i}`),
      subtitle_tracks: [
        { id: expect.any(String), language: 'en', language_name: 'English', filename: 'en.srt', format: 'srt', is_auto_generated: true },
        { id: expect.any(String), language: 'en', language_name: 'English', filename: 'en.vtt', format: 'vtt', is_auto_generated: true },
      ],
      created_at: v.created_at,
    });
    // The spec's key order.
    expect(Object.keys(view)).toEqual([
      'video_id', 'job_id', 'filename', 'file_size', 'file_size_mb', 'duration_seconds', 'duration_formatted', 'width', 'height', 'resolution',
      'format', 'status', 'title', 'description', 'download_url', 'thumbnail_urls', 'subtitle_tracks', 'created_at',
    ]);
    expect(await fails(client.request(VideosSubjects.getByJob, { user: bob, job_id: req.job_id, base_url: base }))).toMatchObject({ status: 404, code: 'VIDEO_NOT_FOUND' });
    expect(await fails(client.request(VideosSubjects.getByJob, { user: alice, job_id: randomUUID(), base_url: base }))).toMatchObject({
      status: 404,
      details: { recorded: false },
    });
  });

  it('resolves videos, thumbnails and subtitles to their keys and content types', async () => {
    const req = recordFor('alice');
    await client.request(VideosSubjects.record, req);
    const video = await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: req.job_id, kind: 'video' });
    expect(video).toMatchObject({ key: req.file_path, size: req.file_size, content_type: 'video/mp4', filename: req.filename, etag: expect.stringMatching(/^"ab/) });
    const thumb = await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: req.job_id, kind: 'thumbnail', size: 'large', index: 1 });
    expect(thumb).toMatchObject({ key: `videos/alice/${req.job_id}/thumbnails/1-large.jpg`, content_type: 'image/jpeg' });
    const vtt = await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: req.job_id, kind: 'subtitle', language: 'en', format: 'vtt' });
    expect(vtt).toMatchObject({ key: `videos/alice/${req.job_id}/subtitles/en.vtt`, content_type: 'text/vtt; charset=utf-8' });
    const srt = await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: req.job_id, kind: 'subtitle', language: 'en', format: 'srt' });
    expect(srt.content_type).toBe('application/x-subrip; charset=utf-8');
    expect(await fails(client.request(VideosSubjects.resolveAsset, { user: alice, job_id: req.job_id, kind: 'thumbnail', index: 7 }))).toMatchObject({ status: 404 });
    expect(await fails(client.request(VideosSubjects.resolveAsset, { user: alice, job_id: req.job_id, kind: 'subtitle', language: 'de' }))).toMatchObject({ status: 404 });
    expect(await fails(client.request(VideosSubjects.resolveAsset, { user: bob, job_id: req.job_id, kind: 'video' }))).toMatchObject({ status: 404 });
    for (const [format, type] of [['webm', 'video/webm'], ['mov', 'video/quicktime'], ['avi', 'video/x-msvideo'], ['wmv', 'video/x-ms-wmv'], ['flv', 'video/x-flv']]) {
      const r = recordFor('alice', randomUUID(), { format: format as VideoFormat });
      await client.request(VideosSubjects.record, r);
      expect((await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: r.job_id, kind: 'video' })).content_type).toBe(type);
    }
  });

  it('counts concurrent views and downloads exactly once each', async () => {
    const v = await client.request<VideoMetadata>(VideosSubjects.record, recordFor('alice'));
    await Promise.all(Array.from({ length: 40 }, (_, i) => client.request(VideosSubjects.count, { video_id: v.id, counter: i % 4 === 0 ? 'download' : 'view' })));
    const after = await client.request<VideoMetadata>(VideosSubjects.get, { user: alice, video_id: v.id });
    expect([after.view_count, after.download_count]).toEqual([30, 10]);
  });

  it('lists the caller\'s videos with filters, and edits them within the spec limits', async () => {
    const carol = user(`carol-${randomUUID().slice(0, 8)}`);
    const a = await client.request<VideoMetadata>(VideosSubjects.record, recordFor(carol.user_id, randomUUID(), { tags: ['algebra'] }));
    await client.request<VideoMetadata>(VideosSubjects.record, recordFor(carol.user_id, randomUUID(), { format: VideoFormat.WEBM }));
    const list = (q: Record<string, unknown>) =>
      client.request<PaginatedResponse<VideoMetadata>>(VideosSubjects.list, { user: carol, page: 1, items_per_page: 10, sort_order: 'desc', sort_by: 'created_at', ...q });
    expect((await list({})).pagination.total_items).toBe(2);
    expect((await list({ tag: 'algebra' })).items.map((v) => v.id)).toEqual([a.id]);
    expect((await list({ format: 'webm' })).items).toHaveLength(1);
    expect((await list({ created_after: new Date(Date.now() + 60_000).toISOString() })).items).toHaveLength(0);
    expect((await list({ items_per_page: 1, page: 2 })).pagination).toMatchObject({ page: 2, total_pages: 2, has_previous: true, has_next: false });

    const edited = await client.request<VideoMetadata>(VideosSubjects.update, { user: carol, video_id: a.id, changes: { title: 'New', tags: ['x', 'y'], is_public: true } });
    expect(edited).toMatchObject({ title: 'New', tags: ['x', 'y'], is_public: true, description: 'Educational video explaining the Pythagorean theorem' });
    expect(await fails(client.request(VideosSubjects.update, { user: bob, video_id: a.id, changes: { title: 'Mine' } }))).toMatchObject({ status: 404 });
    const pub = await client.request<VideoMetadataView>(VideosSubjects.getPublic, { video_id: a.id, base_url: base });
    expect(pub.download_url).toBe(`${base}/public/videos/${a.id}/stream`);
    await client.request(VideosSubjects.update, { user: carol, video_id: a.id, changes: { is_public: false } });
    expect(await fails(client.request(VideosSubjects.getPublic, { video_id: a.id, base_url: base }))).toMatchObject({ status: 404, code: 'VIDEO_NOT_FOUND' });
  });

  it('hides the public videos and signed links of a suspended, inactive or deleted account', async () => {
    const id = `dora-${randomUUID().slice(0, 8)}`;
    const dora = user(id);
    await client.request(UsersSubjects.resolve, { claims: { sub: id } });
    const admin = (await client.request<ResolveUserReply>(UsersSubjects.resolve, { claims: { sub: `admin-${randomUUID().slice(0, 8)}`, role: UserRole.ADMIN } })).context;
    const req = recordFor(id);
    const v = await client.request<VideoMetadata>(VideosSubjects.record, req);
    await client.request(VideosSubjects.update, { user: dora, video_id: v.id, changes: { is_public: true } });
    const publicGet = () => client.request<VideoMetadataView>(VideosSubjects.getPublic, { video_id: v.id, base_url: base });
    const publicStream = () => client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { video_id: v.id, kind: 'video' });
    const signed = () => client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { signed: true, job_id: req.job_id, kind: 'video' });
    const hidden = async () => [await fails(publicGet()), await fails(publicStream()), await fails(signed())].every((e) => e?.status === 404 && e.code === 'VIDEO_NOT_FOUND');
    const shown = async () => (await publicGet()).video_id === v.id && (await publicStream()).video_id === v.id && (await signed()).video_id === v.id;
    const setStatus = (status: UserStatus) => client.request(UsersSubjects.updateStatus, { user: admin, user_id: id, status });

    expect(await shown()).toBe(true);
    // Each change evicts the cached answer at once (the users service announces it).
    for (const status of [UserStatus.SUSPENDED, UserStatus.ACTIVE, UserStatus.INACTIVE, UserStatus.ACTIVE]) {
      await setStatus(status);
      await waitFor(async () => (status === UserStatus.ACTIVE ? shown() : hidden()), { timeoutMs: 5000, intervalMs: 50, what: `public content of a ${status} account` });
    }
    // The owner still reads it, as do readers of every job.
    expect((await client.request<VideoMetadata>(VideosSubjects.get, { user: dora, video_id: v.id })).is_public).toBe(true);
    // Deleted in Clerk: hidden for good.
    await client.request(UsersSubjects.applyWebhook, { svix_id: `msg_${id}`, type: 'user.deleted', data: { id, deleted: true, object: 'user' }, timestamp: Date.now() });
    await waitFor(hidden, { timeoutMs: 5000, intervalMs: 50, what: 'public content of a deleted account' });
  });

  it('edits only the fields given: concurrent edits of different fields all land', async () => {
    const erin = user(`erin-${randomUUID().slice(0, 8)}`);
    const v = await client.request<VideoMetadata>(VideosSubjects.record, recordFor(erin.user_id));
    const edit = (changes: Record<string, unknown>) => client.request<VideoMetadata>(VideosSubjects.update, { user: erin, video_id: v.id, changes }, { timeoutMs: 10_000 });
    // The row held by another transaction: the four edits all read the video before any writes.
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM videos.videos WHERE id = $1 FOR UPDATE', [v.id]);
    const edits = [edit({ title: 'A' }), edit({ description: 'D' }), edit({ tags: ['t1'] }), edit({ is_public: true })];
    await lockWaiters(4);
    await holder.query('COMMIT');
    const answers = await Promise.all(edits);
    // Each answer is the row after its edit (with whichever others landed first).
    expect([answers[0].title, answers[1].description, answers[2].tags, answers[3].is_public]).toEqual(['A', 'D', ['t1'], true]);
    expect(await client.request<VideoMetadata>(VideosSubjects.get, { user: erin, video_id: v.id })).toMatchObject({ title: 'A', description: 'D', tags: ['t1'], is_public: true });
  });

  it('answers 404 to an edit that waited on a delete, and writes nothing to the deleted row', async () => {
    const erin = user(`erin-${randomUUID().slice(0, 8)}`);
    const v = await client.request<VideoMetadata>(VideosSubjects.record, recordFor(erin.user_id));
    // The DELETE's soft delete, its transaction not yet committed when the PATCH arrives.
    await holder.query('BEGIN');
    await holder.query(`UPDATE videos.videos SET is_deleted = true, deleted_at = now(), status = 'deleted', is_public = false, updated_at = now() WHERE id = $1`, [v.id]);
    const edit = client.request(VideosSubjects.update, { user: erin, video_id: v.id, changes: { title: 'After the delete', is_public: true } }, { timeoutMs: 10_000 });
    await lockWaiters(1);
    await holder.query('COMMIT');
    expect(await fails(edit)).toMatchObject({ status: 404, code: 'VIDEO_NOT_FOUND' });
    const { rows } = await db.query('SELECT title, is_public, is_deleted FROM videos.videos WHERE id = $1', [v.id]);
    expect(rows[0]).toEqual({ title: 'Pythagorean Theorem Explanation', is_public: false, is_deleted: true });
    expect(await fails(client.request(VideosSubjects.update, { user: erin, video_id: v.id, changes: { is_public: true } }))).toMatchObject({ status: 404, code: 'VIDEO_NOT_FOUND' });
  });

  it('stores titles and descriptions whole, counted in characters as stored; longer ones are a 422', async () => {
    const frank = user(`frank-${randomUUID().slice(0, 8)}`);
    const v = await client.request<VideoMetadata>(VideosSubjects.record, recordFor(frank.user_id));
    const edit = (changes: Record<string, unknown>) => client.request<VideoMetadata>(VideosSubjects.update, { user: frank, video_id: v.id, changes });
    // ❤️ is two characters (U+2764 U+FE0F): 100 of them are 200, the limit.
    const hearts = '\u2764\uFE0F'.repeat(100);
    const emoji = '\u{1F4D0}'.repeat(200);
    expect(await edit({ title: hearts, description: '\u2764\uFE0F'.repeat(500), tags: ['\u2764\uFE0F'.repeat(25)] })).toMatchObject({ title: hearts, description: '\u2764\uFE0F'.repeat(500) });
    expect((await edit({ title: emoji })).title).toBe(emoji);
    for (const [changes, field] of [
      [{ title: '\u2764\uFE0F'.repeat(150) }, 'title'],
      [{ title: `${'x'.repeat(200)}\uFE0F` }, 'title'],
      [{ description: '\u2764\uFE0F'.repeat(501) }, 'description'],
      [{ tags: ['\u2764\uFE0F'.repeat(26)] }, 'tags'],
      [{ title: '' }, 'title'],
    ] as const) {
      const err = await fails(edit(changes));
      expect(err).toMatchObject({ status: 422, code: 'VALIDATION_ERROR' });
      expect(err?.field_errors).toEqual([expect.objectContaining({ field, code: 'INVALID_LENGTH' })]);
    }
    expect(await client.request<VideoMetadata>(VideosSubjects.get, { user: frank, video_id: v.id })).toMatchObject({ title: emoji, description: '\u2764\uFE0F'.repeat(500) });
  });

  it('matches job ids in any case: a UUID is stored and looked up in lower case', async () => {
    const req = recordFor('alice');
    const v = await client.request<VideoMetadata>(VideosSubjects.record, req);
    const upper = req.job_id.toUpperCase();
    const view = await client.request<VideoMetadataView>(VideosSubjects.getByJob, { user: alice, job_id: upper, base_url: base });
    expect(view).toMatchObject({ video_id: v.id, job_id: req.job_id, download_url: `${base}/videos/jobs/${req.job_id}/download` });
    expect(await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: upper, kind: 'video' })).toMatchObject({ video_id: v.id, key: req.file_path });
    expect(await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user: alice, job_id: upper, kind: 'thumbnail', size: 'large', index: 1 })).toMatchObject({ video_id: v.id });
    expect(await client.request<ResolvedAsset>(VideosSubjects.resolveAsset, { signed: true, job_id: upper, kind: 'subtitle', language: 'en', format: 'vtt' })).toMatchObject({ video_id: v.id });
    // The same job recorded again in upper case is the same video.
    expect((await client.request<VideoMetadata>(VideosSubjects.record, recordFor('alice', upper))).id).toBe(v.id);
    // A job first recorded in upper case is stored in lower case.
    const other = randomUUID();
    const w = await client.request<VideoMetadata>(VideosSubjects.record, recordFor('alice', other.toUpperCase()));
    expect(w.job_id).toBe(other);
    expect((await client.request<VideoMetadataView>(VideosSubjects.getByJob, { user: alice, job_id: other, base_url: base })).video_id).toBe(w.id);
    // A video recorded in upper case before: the migration lowers its job id.
    const old = randomUUID();
    const o = await client.request<VideoMetadata>(VideosSubjects.record, recordFor('alice', old));
    await db.query('UPDATE videos.videos SET job_id = upper(job_id) WHERE id = $1', [o.id]);
    expect(await fails(client.request(VideosSubjects.getByJob, { user: alice, job_id: old, base_url: base }))).toMatchObject({ status: 404 });
    await new LowercaseJobIds1764200000000().up({ query: (sql: string) => db.query(sql) } as unknown as QueryRunner);
    expect((await client.request<VideoMetadataView>(VideosSubjects.getByJob, { user: alice, job_id: old.toUpperCase(), base_url: base })).video_id).toBe(o.id);
  });

  it('deletes once: a delete that waited on another answers 404 and announces nothing', async () => {
    const fay = user(`fay-${randomUUID().slice(0, 8)}`);
    const v = await client.request<VideoMetadata>(VideosSubjects.record, recordFor(fay.user_id));
    const announced: string[] = [];
    const sub = nc.subscribe(`${infra.subjectPrefix}${VideosEvents.deleted}`, {
      callback: (_e, m) => {
        announced.push(m.json<{ video_id: string }>().video_id);
      },
    });
    await nc.flush();
    // The first delete's update, not yet committed when the second arrives and reads the row.
    await holder.query('BEGIN');
    await holder.query(`UPDATE videos.videos SET is_deleted = true, deleted_at = now(), status = 'deleted', is_public = false, updated_at = now() WHERE id = $1`, [v.id]);
    const second = client.request(VideosSubjects.delete, { user: fay, video_id: v.id }, { timeoutMs: 10_000 });
    await lockWaiters(1);
    await holder.query('COMMIT');
    expect(await fails(second)).toMatchObject({ status: 404, code: 'VIDEO_NOT_FOUND' });
    await nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(announced).not.toContain(v.id);
    sub.unsubscribe();
  });

  it('soft-deletes: gone from lists and links at once, bytes removed after the retention', async () => {
    const storage = new LocalFsStorage(infra.storageDir);
    const req = recordFor('dave');
    await storage.put(req.file_path, Buffer.from('video'));
    await storage.put(req.thumbnails[0].file_path, Buffer.from('jpg'));
    const v = await client.request<VideoMetadata>(VideosSubjects.record, req);
    const dave = user('dave');
    expect(await client.request(VideosSubjects.delete, { user: dave, video_id: v.id })).toMatchObject({ video_id: v.id, status: 'deleted' });
    const list = await client.request<PaginatedResponse<VideoMetadata>>(VideosSubjects.list, { user: dave, page: 1, items_per_page: 10, sort_order: 'desc', sort_by: 'created_at' });
    expect(list.items).toHaveLength(0);
    expect(await fails(client.request(VideosSubjects.getByJob, { user: dave, job_id: req.job_id, base_url: base }))).toMatchObject({ status: 404, details: { deleted: true } });
    expect(await fails(client.request(VideosSubjects.get, { user: dave, video_id: v.id }))).toMatchObject({ status: 404 });
    // Bytes stay for the retention (1 s here), then the sweeper removes the whole job directory.
    expect(await storage.stat(req.file_path)).not.toBeNull();
    await waitFor(async () => (await storage.stat(req.file_path)) === null && (await storage.stat(req.thumbnails[0].file_path)) === null, { timeoutMs: 8000, what: 'purge' });
  });

  it('purges the whole job directory: every attempt\'s uploads, not only the recorded one\'s', async () => {
    const storage = new LocalFsStorage(infra.storageDir);
    const jobId = randomUUID();
    const dir = `videos/dave/${jobId}`;
    const req = recordFor('dave', jobId, { file_path: `${dir}/attempt-2-aaaaaaaaaaaa/video.mp4`, thumbnails: [], subtitle_tracks: [] });
    const leftover = `${dir}/attempt-1-bbbbbbbbbbbb/video.mp4`;
    await storage.put(req.file_path, Buffer.from('video'));
    await storage.put(leftover, Buffer.from('an attempt whose record was never answered'));
    const v = await client.request<VideoMetadata>(VideosSubjects.record, req);
    await client.request(VideosSubjects.delete, { user: user('dave'), video_id: v.id });
    await waitFor(async () => (await storage.stat(req.file_path)) === null && (await storage.stat(leftover)) === null, { timeoutMs: 8000, what: 'purge' });
  });

  it('is ready only with blob storage', async () => {
    const ready = await fetch(`${svc.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { info: unknown }).info).toMatchObject({ blob_storage: { status: 'up', driver: 'local' }, database: { status: 'up' } });
  });

  it('reports totals', async () => {
    const stats = await client.request<{ total_videos: number; by_status: Record<string, number> }>(VideosSubjects.stats, {});
    expect(stats.total_videos).toBeGreaterThan(5);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM videos.videos WHERE status = 'deleted'`);
    expect(rows[0].n).toBeGreaterThan(0);
    expect(stats.by_status.deleted).toBe(rows[0].n);
  });
});
