import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  JobPriority,
  JobsEvents,
  JobsSubjects,
  JobType,
  VideoQuality,
  VideosSubjects,
  FilesSubjects,
  type ClaimedJob,
  type CompleteRequest,
  type FailRequest,
  type JobConfiguration,
  type ProgressReport,
  type RecordVideoRequest,
} from '@vgp/contracts';
import { createTestInfra, startService, waitFor, type RunningService, type TestInfra } from '@vgp/testing';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../app.module.js';
import { runningProcessIds } from '../media/process-runner.js';
import { RenderWorkerConfig } from '../render-worker.config.js';

/**
 * The jobs, videos and files side of the worker protocol, answering over the real NATS exactly as
 * the contract says (subjects and payloads from libs/contracts). The whole platform, with the real
 * jobs and videos services, is exercised by e2e/src/render.e2e-spec.ts.
 */
/** The one entry of `list` for `jobId` (fails the test when there is none). */
function only<T extends { job_id: string }>(list: T[], jobId: string): T {
  const found = list.find((x) => x.job_id === jobId);
  if (!found) throw new Error(`nothing for job ${jobId}`);
  return found;
}

class ProtocolStandIn {
  queue: ClaimedJob[] = [];
  claims = 0;
  progress: ProgressReport[] = [];
  completed: CompleteRequest[] = [];
  failed: FailRequest[] = [];
  released: string[] = [];
  /** Every record request, in order. */
  recorded: RecordVideoRequest[] = [];
  /** What the videos service keeps: the first record of each job (insert-or-ignore). */
  videos = new Map<string, RecordVideoRequest>();
  leaseLost = new Set<string>();
  /** Jobs whose next completion is refused (a cancel or a lost lease between record and complete). */
  completionLost = new Set<string>();
  /** Jobs whose next record is refused (422), after the attempt uploaded. */
  recordRefused = new Set<string>();
  private readonly added = new Map<string, ClaimedJob>();
  /** Order of first progress and completion per job, to see how many ran at once. */
  timeline: Array<['start' | 'end', string]> = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
  ) {
    const on = (subject: string, fn: (req: any) => unknown) =>
      nc.subscribe(prefix + subject, {
        callback: (_e, msg) => {
          try {
            msg.respond(JSON.stringify({ d: fn(msg.json()) ?? null }));
          } catch (err) {
            msg.respond(JSON.stringify({ e: err }));
          }
        },
      });
    const lease = (req: { job_id: string }) => {
      if (this.leaseLost.has(req.job_id)) throw { code: 'LEASE_LOST', status: 409, message: 'lost' };
      return { lease_expires_at: new Date(Date.now() + 30_000).toISOString(), cancel_requested: false };
    };
    on(JobsSubjects.claim, () => {
      this.claims++;
      return { job: this.queue.shift() ?? null };
    });
    on(JobsSubjects.renew, lease);
    on(JobsSubjects.progress, (r: ProgressReport) => {
      if (!this.progress.some((p) => p.job_id === r.job_id)) this.timeline.push(['start', r.job_id]);
      this.progress.push(r);
      return lease(r);
    });
    on(JobsSubjects.complete, (r: CompleteRequest) => {
      if (this.completionLost.delete(r.job_id)) throw { code: 'LEASE_LOST', status: 409, message: 'lost' };
      this.timeline.push(['end', r.job_id]);
      this.completed.push(r);
    });
    on(JobsSubjects.fail, (r: FailRequest) => {
      this.failed.push(r);
      return { status: 'failed' };
    });
    on(JobsSubjects.release, (r: { job_id: string }) => void this.released.push(r.job_id));
    on(VideosSubjects.record, (r: RecordVideoRequest) => {
      this.recorded.push(r);
      if (this.recordRefused.delete(r.job_id)) throw { code: 'VALIDATION_ERROR', status: 422, message: 'refused' };
      if (!this.videos.has(r.job_id)) this.videos.set(r.job_id, r);
      // As the videos service answers: the job's recorded video, whichever attempt recorded it.
      return { id: `video-${r.job_id}`, file_path: this.videos.get(r.job_id)?.file_path };
    });
    on(FilesSubjects.searchPassages, () => [{ file_id: 'f1', filename: 'notes.txt', chunk_index: 0, text: 'Right triangles have one right angle. The longest side is the hypotenuse.', rank: 0.5 }]);
  }

  add(configuration: Partial<JobConfiguration>, userId = 'u1'): string {
    const job_id = randomUUID();
    this.queue.push(this.claimed({
      job_id,
      user_id: userId,
      job_type: JobType.VIDEO_GENERATION,
      priority: JobPriority.NORMAL,
      lease_token: randomUUID(),
      lease_expires_at: new Date(Date.now() + 30_000).toISOString(),
      attempt: 1,
      max_retries: 3,
      configuration: {
        topic: 'Pythagorean theorem',
        context: 'Right triangles.',
        quality: VideoQuality.LOW,
        use_rag: false,
        enable_subtitles: true,
        enable_thumbnails: true,
        output_format: 'mp4',
        custom_config: { scene_count: 2, sentences_per_scene: 1 },
        ...configuration,
      },
    }));
    this.nc.publish(this.prefix + JobsEvents.queued, JSON.stringify({ job_id }));
    return job_id;
  }

  /** The job queued again (a retry or a requeue): the next attempt, with a new lease. */
  again(jobId: string): void {
    const last = this.added.get(jobId);
    if (!last) throw new Error(`no job ${jobId}`);
    this.queue.push(this.claimed({ ...last, lease_token: randomUUID(), lease_expires_at: new Date(Date.now() + 30_000).toISOString(), attempt: last.attempt + 1 }));
    this.nc.publish(this.prefix + JobsEvents.queued, JSON.stringify({ job_id: jobId }));
  }

  private claimed(job: ClaimedJob): ClaimedJob {
    this.added.set(job.job_id, job);
    return job;
  }
}

describe('render worker (real app, real NATS, ffmpeg, espeak-ng)', () => {
  let infra: TestInfra;
  let worker: RunningService<RenderWorkerConfig>;
  let nc: NatsConnection;
  let jobs: ProtocolStandIn;
  let tmp: string;
  let killedDir: string;

  // An OpenAI-compatible chat-completions server for the `tiny-1` model.
  let provider: Server;
  const providerScript = {
    title: 'Tides',
    scenes: ['Tides', 'The Moon', 'Two bulges', 'Summary'].map((heading) => ({ heading, narration: [`${heading} in one sentence.`], bullets: [heading] })),
  };

  beforeAll(async () => {
    provider = createServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: JSON.stringify(providerScript) } }] }));
      });
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    infra = await createTestInfra('render');
    tmp = await mkdtemp(join(tmpdir(), 'vgp-render-tmp-'));
    // What a worker killed mid-render (SIGKILL) left in the temp dir this one uses.
    killedDir = join(tmp, `vgp-render-${spawnSync(process.execPath, ['-e', '']).pid}-Ab12Cd`);
    await mkdir(killedDir);
    await writeFile(join(killedDir, 'partial.mp4'), Buffer.alloc(4096));
    nc = await connect({ servers: infra.natsUrl });
    jobs = new ProtocolStandIn(nc, infra.subjectPrefix);
    worker = await startService({
      module: AppModule,
      config: RenderWorkerConfig,
      service: 'render-worker',
      env: {
        ...infra.env,
        RENDER_TMP_DIR: tmp,
        LEASE_RENEW_INTERVAL_MS: '300',
        CLAIM_POLL_INTERVAL_MS: '500',
        PROGRESS_THROTTLE_MS: '100',
        RENDER_CONCURRENCY: '2',
        SCRIPT_PROVIDER_BASE_URL: `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`,
        SCRIPT_PROVIDER_MODELS: 'tiny-1',
      },
    });
  });

  let workerClosed = false;
  afterAll(async () => {
    if (!workerClosed) await worker?.close();
    await nc?.close();
    await rm(tmp, { recursive: true, force: true });
    await new Promise((r) => provider?.close(r));
    await infra?.cleanup();
  });

  it('is ready only with ffmpeg, ffprobe and espeak-ng present', async () => {
    const res = await fetch(`${worker.url}/health/ready`);
    const body = (await res.json()) as { details: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    expect(body.details).toMatchObject({ ffmpeg: { status: 'up' }, ffprobe: { status: 'up' }, espeak: { status: 'up' } });
  });

  it('removes the working dir a killed worker left, at start', async () => {
    await waitFor(() => !existsSync(killedDir), { timeoutMs: 5000, what: 'the killed worker\'s dir removed' });
  });

  it('claims on a queued event, reports progress inside stages, uploads, records and completes', async () => {
    const jobId = jobs.add({ use_rag: true });
    await waitFor(() => jobs.completed.some((c) => c.job_id === jobId), { timeoutMs: 30_000 });
    const done = only(jobs.completed, jobId);
    const all = ['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation'];
    expect(done.result).toEqual({ video_id: `video-${jobId}` });
    expect(done.stages_completed).toEqual(all);

    const mine = jobs.progress.filter((p) => p.job_id === jobId);
    const pct = mine.map((p) => p.percentage);
    expect(pct).toEqual([...pct].sort((a, b) => a - b));
    expect(new Set(mine.map((p) => p.current_stage))).toEqual(new Set(all));
    expect(mine.some((p) => p.current_stage === 'video_generation' && p.stages_completed.join() === 'content_analysis,script_generation')).toBe(true);

    const rec = only(jobs.recorded, jobId);
    // Each attempt uploads into a directory of its own under the job's.
    expect(rec.file_path).toMatch(new RegExp(`^videos/u1/${jobId}/attempt-1-[0-9a-f]{12}/video\\.mp4$`));
    const base = rec.file_path.slice(0, rec.file_path.lastIndexOf('/'));
    expect(rec).toMatchObject({ user_id: 'u1', filename: 'pythagorean-theorem.mp4', format: 'mp4', width: 854, height: 480, resolution: '480p', title: 'Pythagorean theorem' });
    const bytes = await readFile(join(infra.storageDir, rec.file_path));
    expect(rec.file_size).toBe(bytes.length);
    expect(rec.file_hash).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(rec.duration_seconds).toBeGreaterThan(2);
    expect(rec.thumbnails.map((t) => t.file_path).sort()).toEqual(
      [0, 1, 2].flatMap((i) => ['large', 'medium', 'small'].map((s) => `${base}/thumbnails/${i}-${s}.jpg`)).sort(),
    );
    expect(rec.subtitle_tracks.map((s) => [s.file_path, s.format, s.language, s.is_auto_generated])).toEqual([
      [`${base}/subtitles/en.srt`, 'srt', 'en', true],
      [`${base}/subtitles/en.vtt`, 'vtt', 'en', true],
    ]);
    for (const a of [...rec.thumbnails, ...rec.subtitle_tracks]) expect((await readFile(join(infra.storageDir, a.file_path))).length).toBe(a.file_size);
    expect(rec.custom_metadata?.passages_used).toEqual([{ file_id: 'f1', filename: 'notes.txt', chunk_index: 0, rank: 0.5 }]);
    // The first report of each stage is kept (the jobs service logs it): the passages used are in it.
    for (const s of all) expect(mine.filter((p) => p.current_stage === s)[0].message).toBe(`Starting ${s.replace(/_/g, ' ')}`);
    expect(mine.find((p) => p.current_stage === 'script_generation')?.details).toEqual({ passages_used: [{ file_id: 'f1', filename: 'notes.txt', chunk_index: 0, rank: 0.5 }] });
    // The per-job temp dir is gone.
    await waitFor(async () => (await readdir(tmp)).length === 0, { timeoutMs: 2000 });

    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/render_duration_seconds_count\{[^}]*quality="low"[^}]*\} 1/);
    expect(metrics).toMatch(/render_stage_duration_seconds_count\{[^}]*stage="video_generation"/);
  });

  it('skips switched-off stages and does not list them', async () => {
    const jobId = jobs.add({ enable_thumbnails: false, enable_subtitles: false, output_format: 'webm', custom_config: { scene_count: 1, sentences_per_scene: 1 } });
    await waitFor(() => jobs.completed.some((c) => c.job_id === jobId), { timeoutMs: 30_000 });
    expect(only(jobs.completed, jobId).stages_completed).toEqual(['content_analysis', 'script_generation', 'video_generation']);
    const rec = only(jobs.recorded, jobId);
    expect(rec).toMatchObject({ format: 'webm', file_path: expect.stringMatching(new RegExp(`^videos/u1/${jobId}/attempt-1-[0-9a-f]{12}/video\\.webm$`)), thumbnails: [], subtitle_tracks: [] });
    const stagesSeen = new Set(jobs.progress.filter((p) => p.job_id === jobId).map((p) => p.current_stage));
    expect(stagesSeen).toEqual(new Set(['content_analysis', 'script_generation', 'video_generation']));
  });

  it('renders RENDER_CONCURRENCY (2) jobs at once, never more', async () => {
    const from = jobs.timeline.length;
    const ids = [1, 2, 3].map(() => jobs.add({ enable_thumbnails: false, enable_subtitles: false, custom_config: { scene_count: 1, sentences_per_scene: 2 } }));
    await waitFor(() => ids.every((id) => jobs.completed.some((c) => c.job_id === id)), { timeoutMs: 30_000 });
    let running = 0;
    let most = 0;
    for (const [kind] of jobs.timeline.slice(from)) {
      running += kind === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
  });

  it('writes the script with a configured chat-completions model when the job names it', async () => {
    const jobId = jobs.add({ model: 'tiny-1', enable_thumbnails: false, enable_subtitles: false, custom_config: {} });
    await waitFor(() => jobs.completed.some((c) => c.job_id === jobId), { timeoutMs: 30_000 });
    expect(only(jobs.recorded, jobId)).toMatchObject({ title: 'Tides', custom_metadata: { generator: 'tiny-1', scenes: 4 } });
  });

  it('never overwrites or removes a recorded video when its job is rendered again', async () => {
    const jobId = jobs.add({ enable_thumbnails: true, enable_subtitles: true, custom_config: { scene_count: 1, sentences_per_scene: 1 } });
    const failures = () => jobs.failed.filter((f) => f.job_id === jobId).length;
    // Attempt 1 records its video, then its completion is refused (a cancel or a lost lease in that window).
    jobs.completionLost.add(jobId);
    await waitFor(() => failures() === 1, { timeoutMs: 30_000 });
    const first = only(jobs.recorded, jobId);
    const keys = [first.file_path, ...first.thumbnails.map((t) => t.file_path), ...first.subtitle_tracks.map((s) => s.file_path)];
    const files = async () => {
      const dir = join(infra.storageDir, 'videos', 'u1', jobId);
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(infra.storageDir.length + 1)).sort();
    };
    const identity = async () => Promise.all(keys.map(async (k) => ({ k, ...(({ ino, size, mtimeMs }) => ({ ino, size, mtimeMs }))(await stat(join(infra.storageDir, k))) })));
    const before = await identity();
    const intact = async () => {
      // The recorded bytes: the very files, untouched, their hash the recorded one; nothing else left.
      expect(await files()).toEqual([...keys].sort());
      expect(await identity()).toEqual(before);
      expect(createHash('sha256').update(await readFile(join(infra.storageDir, first.file_path))).digest('hex')).toBe(first.file_hash);
    };
    expect(first.thumbnails.length).toBeGreaterThan(0);
    expect(first.subtitle_tracks).toHaveLength(2);

    // Attempt 2 fails after uploading (its record refused): its cleanup removes its own uploads only.
    jobs.recordRefused.add(jobId);
    jobs.again(jobId);
    await waitFor(() => failures() === 2, { timeoutMs: 30_000 });
    expect(jobs.recorded.filter((r) => r.job_id === jobId)).toHaveLength(2);
    await intact();

    // Attempt 3 finds the job's video recorded: it removes its uploads and completes with that video.
    jobs.again(jobId);
    await waitFor(() => jobs.completed.some((c) => c.job_id === jobId), { timeoutMs: 30_000 });
    expect(jobs.recorded.filter((r) => r.job_id === jobId)).toHaveLength(3);
    expect(only(jobs.completed, jobId).result).toEqual({ video_id: `video-${jobId}` });
    await intact();
  });

  it('fails content that cannot be generated, not retryable, with useful details', async () => {
    const jobId = jobs.add({ topic: '?!? 🙂', context: '' });
    await waitFor(() => jobs.failed.some((f) => f.job_id === jobId), { timeoutMs: 10_000 });
    const f = only(jobs.failed, jobId);
    expect(f).toMatchObject({
      error_code: 'CONTENT_GENERATION_FAILED',
      error_message: 'Failed to generate content for the given topic',
      retryable: false,
      error_details: { reason: 'Topic too vague or inappropriate', suggestions: ['Be more specific', 'Provide more context'], stage: 'script_generation' },
    });
    expect(jobs.completed.some((c) => c.job_id === jobId)).toBe(false);
  });

  it('on jobs.v1.job.cancelled kills ffmpeg/espeak-ng within 2 s, removes partial files and releases', async () => {
    const jobId = jobs.add({ quality: VideoQuality.MEDIUM, custom_config: { scene_count: 6, sentences_per_scene: 4 } });
    // Past 34 % the slides and narration are done: ffmpeg is encoding.
    await waitFor(() => jobs.progress.some((p) => p.job_id === jobId && p.current_stage === 'video_generation' && p.percentage > 36), { timeoutMs: 30_000, intervalMs: 20 });
    expect(runningProcessIds().length).toBeGreaterThan(0);
    const at = Date.now();
    nc.publish(infra.subjectPrefix + JobsEvents.cancelled, JSON.stringify({ job_id: jobId }));
    // Released only once every child process has ended and the working dir is gone.
    await waitFor(() => jobs.released.includes(jobId), { timeoutMs: 2000, intervalMs: 20 });
    expect(Date.now() - at).toBeLessThan(2000);
    expect(runningProcessIds()).toEqual([]);
    await waitFor(async () => (await readdir(tmp)).length === 0, { timeoutMs: 2000 });
    expect(jobs.completed.some((c) => c.job_id === jobId)).toBe(false);
    expect(jobs.failed.some((c) => c.job_id === jobId)).toBe(false);
  });

  it('stops silently when its lease is lost (409 LEASE_LOST)', async () => {
    const jobId = jobs.add({ quality: VideoQuality.MEDIUM, custom_config: { scene_count: 6, sentences_per_scene: 4 } });
    await waitFor(() => jobs.progress.some((p) => p.job_id === jobId && p.percentage > 36), { timeoutMs: 30_000, intervalMs: 20 });
    jobs.leaseLost.add(jobId);
    await waitFor(async () => runningProcessIds().length === 0 && (await readdir(tmp)).length === 0, { timeoutMs: 5000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 300));
    expect([jobs.completed, jobs.failed].flat().some((c) => c.job_id === jobId)).toBe(false);
    expect(jobs.released).not.toContain(jobId);
  });

  it('on shutdown stops claiming and hands back a job it cannot finish in time', async () => {
    const second = await startService({
      module: AppModule,
      config: RenderWorkerConfig,
      service: 'render-worker',
      env: { ...infra.env, RENDER_TMP_DIR: tmp, SHUTDOWN_TIMEOUT_MS: '2500', CLAIM_POLL_INTERVAL_MS: '200' },
    });
    await worker.close();
    workerClosed = true;
    const jobId = jobs.add({ quality: VideoQuality.MEDIUM, custom_config: { scene_count: 8, sentences_per_scene: 4 } });
    await waitFor(() => jobs.progress.some((p) => p.job_id === jobId), { timeoutMs: 10_000, intervalMs: 20 });
    const started = Date.now();
    await second.close();
    expect(Date.now() - started).toBeLessThan(2500 + 1000);
    expect(jobs.released).toContain(jobId);
    expect(runningProcessIds()).toEqual([]);
    const claimsBefore = jobs.claims;
    await new Promise((r) => setTimeout(r, 500));
    expect(jobs.claims).toBe(claimsBefore);
  });
});
