import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AppError,
  type AuthContext,
  type ClaimedJob,
  type ClaimResponse,
  type Job,
  type FileMetadata,
  FilesSubjects,
  FileType,
  JobsSubjects,
  JobType,
  type PaginatedResponse,
  type RegisterFileRequest,
  type ResolvedFile,
  type RetrievedPassage,
  ROLE_DEFAULT_PERMISSIONS,
  UserRole,
  UserStatus,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { LocalFsStorage } from '@vgp/storage';
import { createTestInfra, makePdf, type RunningService, type ServiceProcess, spawnService, startService, type TestInfra, waitFor } from '@vgp/testing';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module.js';
import { FilesConfig } from '../files.config.js';
import { FileJobsWorker } from './file-jobs.worker.js';
import { OrphanUploadSweeper } from './orphan-upload.sweeper.js';
import { type Claimed, ClaimLostError, TextIndexer } from './text-indexer.service.js';

const user = (id: string): AuthContext => ({
  user_id: id,
  role: UserRole.USER,
  status: UserStatus.ACTIVE,
  permissions: { user_id: id, role: UserRole.USER, ...ROLE_DEFAULT_PERMISSIONS[UserRole.USER] },
});

function ffmpeg(args: string[], name: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'vgp-files-int-'));
  try {
    execFileSync('ffmpeg', ['-v', 'error', ...args, join(dir, name)]);
    return readFileSync(join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('files service over NATS (real PostgreSQL and NATS)', () => {
  let infra: TestInfra;
  let svc: RunningService<FilesConfig>;
  let nc: NatsConnection;
  let client: NatsClient;
  let storage: LocalFsStorage;
  const alice = user('alice');

  beforeAll(async () => {
    infra = await createTestInfra('files');
    svc = await startService({ module: AppModule, config: FilesConfig, service: 'files', env: infra.env });
    nc = await connect({ servers: infra.natsUrl });
    client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 10_000 });
    storage = new LocalFsStorage(infra.storageDir);
  });

  afterAll(async () => {
    await nc?.close();
    await svc?.close();
    await infra?.cleanup();
  });

  const fails = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as AppError);

  async function register(owner: AuthContext, bytes: Buffer, mime: string, fileType: FileType, ext: string, name: string, extra: Partial<RegisterFileRequest> = {}) {
    const id = randomUUID();
    const key = `files/${owner.user_id}/${id}`;
    const put = await storage.put(key, bytes);
    return client.request<FileMetadata>(FilesSubjects.register, {
      user: owner,
      file_id: id,
      key,
      filename: `${id}.${ext}`,
      original_filename: name,
      file_type: fileType,
      mime_type: mime,
      file_size: put.size,
      checksum: put.sha256,
      ...extra,
    } satisfies RegisterFileRequest);
  }

  it('records an image with its dimensions, and what the client said in metadata', async () => {
    const png = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48', '-frames:v', '1'], 'x.png');
    const f = await register(alice, png, 'image/png', FileType.IMAGE, 'png', 'diagram.png', { tags: ['geometry'], description: 'A diagram', subdirectory: 'lessons' });
    expect(f).toMatchObject({
      original_filename: 'diagram.png',
      filename: `${f.id}.png`,
      file_type: 'image',
      mime_type: 'image/png',
      file_size: png.length,
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      metadata: { width: 64, height: 48, tags: ['geometry'], description: 'A diagram', subdirectory: 'lessons' },
    });
  });

  it('reads audio duration and codec, and video duration, size and codecs', async () => {
    const wav = ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1.5'], 'a.wav');
    const a = await register(alice, wav, 'audio/wav', FileType.AUDIO, 'wav', 'tone.wav');
    expect(a.metadata).toMatchObject({ duration_seconds: 1.5, audio_codec: 'pcm_s16le', sample_rate: 44100, channels: 1 });
    const mp4 = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=duration=1', '-shortest', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'v.mp4');
    const v = await register(alice, mp4, 'video/mp4', FileType.VIDEO, 'mp4', 'clip.mp4');
    expect(v.metadata).toMatchObject({ width: 160, height: 120, video_codec: 'h264', audio_codec: 'aac', duration_seconds: expect.any(Number) });
    expect(v.metadata.duration_seconds).toBeGreaterThan(0.9);
  });

  it('counts PDF pages and indexes the text of documents for retrieval, per user', async () => {
    const pdf = await register(alice, makePdf(['The Pythagorean theorem relates the sides of a right triangle.', 'Euclid proved it in the Elements.']), 'application/pdf', FileType.DOCUMENT, 'pdf', 'theorem.pdf');
    expect(pdf.metadata).toMatchObject({ page_count: 2, text_extraction: 'pending' });
    // No jobs service here: the files service indexes the text itself.
    expect(pdf.metadata.text_job_id).toBeUndefined();
    const md = await register(alice, Buffer.from('# Hypotenuse\n\nThe hypotenuse is the longest side of a right triangle.\n'), 'text/markdown', FileType.DOCUMENT, 'md', 'notes.md');
    const html = await register(alice, Buffer.from('<html><body><script>var hypotenuse=1</script><p>Squares on the legs sum to the square on the hypotenuse.</p></body></html>'), 'text/html', FileType.DOCUMENT, 'html', 'page.html');
    // Notes saved as "Unicode" text by a Windows editor: UTF-16 with its byte order mark.
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Über die Hypotenuse: the hypotenuse faces the right angle, c² = a² + b².', 'utf16le')]);
    const wide = await register(alice, utf16, 'text/plain', FileType.DOCUMENT, 'txt', 'windows-notes.txt');
    expect(wide.metadata).toMatchObject({ encoding: 'utf-16le' });
    expect(md.metadata).toMatchObject({ encoding: 'utf-8' });
    await register(user('bob'), Buffer.from('Bob also writes about the hypotenuse.'), 'text/plain', FileType.DOCUMENT, 'txt', 'bob.txt');

    await waitFor(async () => {
      const all = await Promise.all([pdf.id, md.id, html.id, wide.id].map((id) => client.request<FileMetadata>(FilesSubjects.get, { user: alice, file_id: id })));
      return all.every((f) => f.metadata.text_extraction === 'done');
    }, { timeoutMs: 10_000, what: 'text extraction' });

    const hits = await client.request<RetrievedPassage[]>(FilesSubjects.searchPassages, { user_id: 'alice', query: 'hypotenuse of a right triangle', limit: 10 });
    expect(hits.map((h) => h.filename).sort()).toEqual(['notes.md', 'page.html', 'theorem.pdf', 'windows-notes.txt']);
    expect(hits.find((h) => h.filename === 'windows-notes.txt')?.text).toBe('Über die Hypotenuse: the hypotenuse faces the right angle, c² = a² + b².');
    expect(hits[0]).toMatchObject({ file_id: expect.any(String), chunk_index: 0, text: expect.any(String), rank: expect.any(Number) });
    expect(hits.find((h) => h.filename === 'page.html')?.text).not.toContain('var hypotenuse');
    const euclid = await client.request<RetrievedPassage[]>(FilesSubjects.searchPassages, { user_id: 'alice', query: 'Euclid', limit: 5 });
    expect(euclid.map((h) => h.file_id)).toEqual([pdf.id]);
    expect(await client.request(FilesSubjects.searchPassages, { user_id: 'alice', query: 'the of and', limit: 5 })).toEqual([]);
    expect(await client.request(FilesSubjects.searchPassages, { user_id: 'nobody', query: 'hypotenuse', limit: 5 })).toEqual([]);
  });

  it('claims a file for one run at a time, and a run that lost its claim neither fails nor overwrites the result', async () => {
    const indexer = svc.app.get(TextIndexer);
    const ds = svc.app.get(DataSource);
    const f = await register(alice, Buffer.from('The altitude of a right triangle splits it in two similar triangles.'), 'text/plain', FileType.DOCUMENT, 'txt', 'altitude.txt');
    const done = () => client.request<FileMetadata>(FilesSubjects.get, { user: alice, file_id: f.id }).then((m) => m.metadata.text_extraction === 'done');
    await waitFor(done, { timeoutMs: 10_000, what: 'text extraction' });
    const jobId = randomUUID();
    // As after registration with a job: only one of two claims for it gets the file.
    await ds.query(`UPDATE files.files SET text_status = 'queued', text_job_id = $2 WHERE id = $1`, [f.id, jobId]);
    const both = await Promise.all([indexer.claimFile(f.id, jobId, 'alice'), indexer.claimFile(f.id, jobId, 'alice')]);
    expect(both.map((c) => c.state).sort()).toEqual(['busy', 'claimed']);
    expect(await indexer.claimFile(f.id, jobId, 'bob')).toEqual({ state: 'gone' });

    // The job's creation looked lost (pending, no job id) and the fallback indexer holds the file:
    // the job's claim does not take it, and adopts the fallback's result.
    await ds.query(`UPDATE files.files SET text_status = 'processing', text_claimed_at = now(), text_job_id = NULL WHERE id = $1`, [f.id]);
    expect(await indexer.claimFile(f.id, jobId, 'alice')).toEqual({ state: 'busy' });
    const [held] = await ds.query(`SELECT id, user_id, mime_type, storage_key, text_claimed_at::text AS claim, text_job_id FROM files.files WHERE id = $1`, [f.id]);
    expect(held.text_job_id).toBe(jobId);
    const fallback: Claimed = { id: held.id, user_id: held.user_id, mime_type: held.mime_type, storage_key: held.storage_key, claim: held.claim };
    expect(await indexer.extract(fallback)).toEqual({ text_chunks: 1, text_characters: 68 });
    expect(await indexer.claimFile(f.id, randomUUID(), 'alice')).toMatchObject({ state: 'finished', status: 'done', metadata: { text_chunks: 1, text_characters: 68 } });

    // A run presumed dead (its claim not renewed) is taken over; when it ends, it changes nothing.
    const rerun = await indexer.claimFile(f.id, jobId, 'alice');
    if (rerun.state !== 'claimed') throw new Error(`not claimed: ${rerun.state}`);
    await ds.query(`UPDATE files.files SET text_claimed_at = now() - interval '10 minutes' WHERE id = $1`, [f.id]);
    const takeover = await indexer.claimFile(f.id, jobId, 'alice');
    if (takeover.state !== 'claimed') throw new Error(`not taken over: ${takeover.state}`);
    expect(await indexer.extract(takeover.file)).toEqual({ text_chunks: 1, text_characters: 68 });
    await expect(indexer.extract(rerun.file)).rejects.toBeInstanceOf(ClaimLostError);
    // Nor does a losing run whose extraction fails mark the finished file failed.
    await expect(indexer.extract({ ...rerun.file, storage_key: `files/alice/${randomUUID()}` })).rejects.toThrow();
    const after = await client.request<FileMetadata>(FilesSubjects.get, { user: alice, file_id: f.id });
    expect(after.metadata).toMatchObject({ text_extraction: 'done', text_chunks: 1 });
    const chunks: Array<{ chunk_index: number; content: string }> = await ds.query(`SELECT chunk_index, content FROM files.file_chunks WHERE file_id = $1`, [f.id]);
    expect(chunks).toEqual([{ chunk_index: 0, content: 'The altitude of a right triangle splits it in two similar triangles.' }]);
  });

  it('lists, totals by type, resolves and deletes, only for the owner', async () => {
    const carol = user(`carol-${randomUUID().slice(0, 6)}`);
    const a = await register(carol, Buffer.from('one'), 'text/plain', FileType.DOCUMENT, 'txt', 'a.txt');
    await register(carol, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'application/gzip', FileType.ARCHIVE, 'gz', 'b.gz');
    const list = await client.request<PaginatedResponse<FileMetadata>>(FilesSubjects.list, { user: carol, page: 1, items_per_page: 10, sort_order: 'asc' });
    expect(list.items.map((f) => f.original_filename)).toEqual(['a.txt', 'b.gz']);
    const docs = await client.request<PaginatedResponse<FileMetadata>>(FilesSubjects.list, { user: carol, page: 1, items_per_page: 10, sort_order: 'asc', file_type: 'archive' });
    expect(docs.items).toHaveLength(1);
    expect(await client.request(FilesSubjects.stats, { user: carol })).toEqual({
      total_files: 2,
      total_bytes: 23,
      by_type: { archive: { files: 1, bytes: 20 }, document: { files: 1, bytes: 3 } },
    });
    const resolved = await client.request<ResolvedFile>(FilesSubjects.resolve, { user: carol, file_id: a.id });
    expect(resolved).toMatchObject({ user_id: carol.user_id, key: `files/${carol.user_id}/${a.id}`, mime_type: 'text/plain', original_filename: 'a.txt', size: 3 });
    expect(await client.request(FilesSubjects.resolve, { file_id: a.id })).toMatchObject({ user_id: carol.user_id });
    // A text document's recorded encoding comes along (the gateway serves it as the charset); other files have none.
    expect(resolved.encoding).toBe('utf-8');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a² + b²', 'utf16le')]);
    const u = await register(carol, le, 'text/plain', FileType.DOCUMENT, 'txt', 'u.txt');
    expect(await client.request(FilesSubjects.resolve, { file_id: u.id })).toMatchObject({ mime_type: 'text/plain', encoding: 'utf-16le' });
    const gz = list.items.find((f) => f.original_filename === 'b.gz');
    expect(await client.request(FilesSubjects.resolve, { file_id: gz?.id })).not.toHaveProperty('encoding');
    await client.request(FilesSubjects.delete, { user: carol, file_id: u.id });

    for (const subject of [FilesSubjects.get, FilesSubjects.resolve, FilesSubjects.delete]) {
      expect(await fails(client.request(subject, { user: alice, file_id: a.id }))).toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    }
    expect(await fails(client.request(FilesSubjects.get, { user: carol, file_id: 'not-a-uuid' }))).toMatchObject({ status: 404 });
    expect(await client.request(FilesSubjects.delete, { user: carol, file_id: a.id })).toEqual({ file_id: a.id, deleted: true });
    expect(await storage.stat(resolved.key)).toBeNull();
    expect(await fails(client.request(FilesSubjects.get, { user: carol, file_id: a.id }))).toMatchObject({ status: 404 });
  });

  it('is ready only with blob storage and its tools', async () => {
    const ready = await fetch(`${svc.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { info: unknown }).info).toMatchObject({ blob_storage: { status: 'up', driver: 'local' }, ffprobe: { status: 'up' }, pdfinfo: { status: 'up' }, database: { status: 'up' } });
  });

  it('sweeps uploaded bytes that no file names once they are a day old, and nothing else', async () => {
    const sweeper = svc.app.get(OrphanUploadSweeper);
    const registered = await register(alice, Buffer.from('kept: a registered file'), 'text/plain', FileType.DOCUMENT, 'txt', 'kept.txt');
    const registeredKey = (await client.request<ResolvedFile>(FilesSubjects.resolve, { user: alice, file_id: registered.id })).key;
    const orphan = `files/alice/${randomUUID()}`;
    const fresh = `files/alice/${randomUUID()}`;
    const foreign = 'files/alice/notes-not-ours';
    for (const key of [orphan, fresh, foreign]) await storage.put(key, Buffer.from('bytes'));
    // A day and a minute ago, all but the fresh one (an upload whose registration may still come).
    const old = new Date(Date.now() - 86_460_000);
    for (const key of [orphan, foreign, registeredKey]) await utimes(storage.localPath(key), old, old);
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
    expect(await storage.stat(orphan)).toBeNull();
    for (const key of [fresh, foreign, registeredKey]) expect(await storage.stat(key)).not.toBeNull();
    expect(await client.request<FileMetadata>(FilesSubjects.get, { user: alice, file_id: registered.id })).toMatchObject({ id: registered.id });
  });

  it('refuses registrations that do not add up', async () => {
    const id = randomUUID();
    const key = `files/alice/${id}`;
    const put = await storage.put(key, Buffer.from('x'));
    const base: RegisterFileRequest = { user: alice, file_id: id, key, filename: `${id}.txt`, original_filename: 'x.txt', file_type: FileType.DOCUMENT, mime_type: 'text/plain', file_size: 1, checksum: put.sha256 };
    expect(await fails(client.request(FilesSubjects.register, { ...base, mime_type: 'application/x-elf' }))).toMatchObject({ status: 422 });
    expect(await fails(client.request(FilesSubjects.register, { ...base, original_filename: '../x.txt' }))).toMatchObject({ status: 422 });
    expect(await fails(client.request(FilesSubjects.register, { ...base, file_type: FileType.IMAGE }))).toMatchObject({ status: 422 });
    expect(await fails(client.request(FilesSubjects.register, { ...base, file_size: 2 }))).toMatchObject({ status: 404 });
    // Past the time the gateway allows for it (it waits longer, then removes the bytes): nothing is stored.
    expect(await fails(client.request(FilesSubjects.register, { ...base, register_within_ms: -1 }))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(await fails(client.request(FilesSubjects.get, { user: alice, file_id: id }))).toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    expect(await client.request<FileMetadata>(FilesSubjects.register, { ...base, register_within_ms: 40_000 })).toMatchObject({ id });
  });
});

describe('file_processing jobs of the real jobs service', () => {
  let infra: TestInfra;
  let jobs: ServiceProcess;
  let svc: RunningService<FilesConfig>;
  let nc: NatsConnection;
  let client: NatsClient;
  let storage: LocalFsStorage;
  let worker: FileJobsWorker;
  const dave = user(`dave-${randomUUID().slice(0, 6)}`);

  beforeAll(async () => {
    infra = await createTestInfra('filesjobs');
    jobs = await spawnService('jobs', infra.env);
    svc = await startService({ module: AppModule, config: FilesConfig, service: 'files', env: infra.env });
    // The test claims the jobs itself and runs them one by one with a worker of its own (not
    // started, so it claims nothing), the service's worker stopped.
    await svc.app.get(FileJobsWorker).onApplicationShutdown();
    worker = new FileJobsWorker(svc.app.get(NatsClient), svc.app.get(TextIndexer), svc.config);
    nc = await connect({ servers: infra.natsUrl });
    client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 10_000 });
    storage = new LocalFsStorage(infra.storageDir);
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await svc?.close();
    await jobs?.stop();
    await infra?.cleanup();
  });

  async function registerText(text: string, name: string): Promise<FileMetadata> {
    const id = randomUUID();
    const key = `files/${dave.user_id}/${id}`;
    const put = await storage.put(key, Buffer.from(text));
    return client.request<FileMetadata>(FilesSubjects.register, {
      user: dave,
      file_id: id,
      key,
      filename: `${id}.txt`,
      original_filename: name,
      file_type: FileType.DOCUMENT,
      mime_type: 'text/plain',
      file_size: put.size,
      checksum: put.sha256,
    } satisfies RegisterFileRequest);
  }

  async function claim(jobId: string): Promise<ClaimedJob> {
    const { job } = await client.request<ClaimResponse>(JobsSubjects.claim, { worker_id: 'files-int-spec', job_types: [JobType.FILE_PROCESSING] });
    expect(job?.job_id).toBe(jobId);
    return job as ClaimedJob;
  }

  const fileOf = (id: string) => client.request<FileMetadata>(FilesSubjects.get, { user: dave, file_id: id });
  const jobOf = (id: string) => client.request<Job>(JobsSubjects.get, { user: dave, job_id: id });

  it('gives a file whose job was cancelled while running a final state, and a retry extracts it', async () => {
    const f = await registerText('Thales: an angle inscribed in a semicircle is a right angle.', 'thales.txt');
    const jobId = f.metadata.text_job_id as string;
    expect(jobId).toEqual(expect.any(String));
    const job = await claim(jobId);
    await client.request(JobsSubjects.cancel, { user: dave, job_id: jobId });
    await worker.run(job);
    expect((await fileOf(f.id)).metadata).toMatchObject({ text_extraction: 'failed', text_error: 'cancelled', text_job_id: jobId });
    expect((await jobOf(jobId)).status).toBe('cancelled');

    await client.request(JobsSubjects.retry, { user: dave, job_id: jobId });
    await worker.run(await claim(jobId));
    const done = await fileOf(f.id);
    expect(done.metadata).toMatchObject({ text_extraction: 'done', text_chunks: 1 });
    expect(done.metadata.text_error).toBeUndefined();
    expect(await jobOf(jobId)).toMatchObject({ status: 'completed', result: { file_id: f.id, text_chunks: 1 } });
  }, 30_000);

  it('gives a file whose job was cancelled while queued a final state at once, and a retry extracts it', async () => {
    const f = await registerText('Euclid: there are infinitely many primes.', 'euclid.txt');
    const jobId = f.metadata.text_job_id as string;
    expect((await fileOf(f.id)).metadata.text_extraction).toBe('pending');
    await client.request(JobsSubjects.cancel, { user: dave, job_id: jobId });
    await waitFor(async () => (await fileOf(f.id)).metadata.text_extraction === 'failed', { what: 'the file of a job cancelled while queued' });
    expect((await fileOf(f.id)).metadata).toMatchObject({ text_error: 'cancelled', text_job_id: jobId });
    await client.request(JobsSubjects.retry, { user: dave, job_id: jobId });
    await worker.run(await claim(jobId));
    expect((await fileOf(f.id)).metadata).toMatchObject({ text_extraction: 'done', text_chunks: 1 });
  }, 30_000);

  it('does not extract a file twice when its job was created but the answer was lost: the job waits for the fallback run and takes its result', async () => {
    const indexer = svc.app.get(TextIndexer);
    const ds = svc.app.get(DataSource);
    const f = await registerText('Pythagoras: the square on the hypotenuse equals the sum of the squares on the legs.', 'pythagoras.txt');
    const jobId = f.metadata.text_job_id as string;
    // queueTextJob gave up waiting (the row pending, no job id) and the fallback indexer claimed it.
    await ds.query(`UPDATE files.files SET text_status = 'processing', text_claimed_at = now(), text_job_id = NULL WHERE id = $1`, [f.id]);
    const [held] = await ds.query(`SELECT id, user_id, mime_type, storage_key, text_claimed_at::text AS claim FROM files.files WHERE id = $1`, [f.id]);
    const running = worker.run(await claim(jobId));
    await new Promise((r) => setTimeout(r, 1500));
    // The job's run waits for the fallback run instead of extracting the file too.
    expect((await jobOf(jobId)).status).toBe('processing');
    expect(await indexer.extract(held as Claimed)).toEqual({ text_chunks: 1, text_characters: 83 });
    await running;
    expect(await jobOf(jobId)).toMatchObject({ status: 'completed', result: { file_id: f.id, text_chunks: 1, text_characters: 83 } });
    expect((await fileOf(f.id)).metadata).toMatchObject({ text_extraction: 'done', text_job_id: jobId });
  }, 30_000);
});
