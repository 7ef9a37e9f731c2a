import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { http, multipart, tokenFor, waitFor } from '@vgp/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ALL_SERVICES, type Platform, startPlatform } from './platform.js';

const run = promisify(execFile);
const STAGES = ['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation'];

/** The render worker's child processes (ffmpeg, espeak-ng) right now. */
async function children(pid: number): Promise<string[]> {
  const { stdout } = await run('ps', ['-o', 'comm=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean);
}

describe('render: a real video from topic to download, through the whole platform', () => {
  let p: Platform;
  let work: string;
  let token: string;
  const user = `render-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vgp-render-e2e-'));
    p = await startPlatform('render', { RPC_TIMEOUT_MS: '5000', RATE_LIMIT_ENABLED: 'false', LEASE_RENEW_INTERVAL_MS: '1000', CLAIM_POLL_INTERVAL_MS: '500' }, ALL_SERVICES);
    token = await tokenFor(user);
  }, 120_000);

  afterAll(async () => {
    await p?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const submit = async (configuration: Record<string, unknown>) => {
    const res = await http('POST', `${p.api}/videos/generate`, { token, body: { configuration } });
    expect(res.status).toBe(201);
    return res.body.data.job_id as string;
  };
  const status = async (jobId: string) => (await http('GET', `${p.api}/videos/jobs/${jobId}/status`, { token })).body.data;

  it('generates a low-quality MP4 with narration, thumbnails and subtitles, and serves it', async () => {
    const jobId = await submit({ topic: 'Pythagorean theorem', context: 'For 8th graders', quality: 'low', custom_config: { scene_count: 2, sentences_per_scene: 1 } });
    const done = await waitFor(
      async () => {
        const s = await status(jobId);
        if (s.status === 'failed') throw new Error(JSON.stringify(s.error));
        return s.status === 'completed' ? s : null;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the job to complete' },
    );
    expect(done.progress).toMatchObject({ percentage: 100, current_stage: 'completed', stages_completed: STAGES });

    const meta = await http('GET', `${p.api}/videos/jobs/${jobId}/metadata`, { token });
    expect(meta.status).toBe(200);
    expect(meta.body.data).toMatchObject({ job_id: jobId, format: 'mp4', width: 854, height: 480, resolution: '480p', status: 'ready', title: 'Pythagorean theorem' });
    expect(meta.body.data.duration_seconds).toBeGreaterThan(2);
    expect(meta.body.data.thumbnail_urls.length).toBeGreaterThanOrEqual(3);
    expect(meta.body.data.subtitle_tracks.map((t: { format: string }) => t.format).sort()).toEqual(['srt', 'vtt']);

    const video = await fetch(`${p.api}/videos/jobs/${jobId}/download`, { headers: { authorization: `Bearer ${token}` } });
    expect(video.status).toBe(200);
    const file = join(work, 'video.mp4');
    await writeFile(file, Buffer.from(await video.arrayBuffer()));
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]);
    const probe = JSON.parse(stdout);
    expect(probe.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Math.abs(Number(probe.format.duration) - meta.body.data.duration_seconds)).toBeLessThan(0.1);

    const thumb = await fetch(`${p.api}/videos/jobs/${jobId}/thumbnail?size=small&index=2`, { headers: { authorization: `Bearer ${token}` } });
    expect(thumb.status).toBe(200);
    expect(Buffer.from(await thumb.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');
    const srt = await fetch(`${p.api}/videos/jobs/${jobId}/subtitles/en?format=srt`, { headers: { authorization: `Bearer ${token}` } });
    expect(srt.status).toBe(200);
    expect(await srt.text()).toMatch(/^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\nWelcome!/);
  });

  it('uses passages from the user\'s own uploaded documents with use_rag, and records which', async () => {
    const notes = 'Pythagorean triples are whole numbers such as 3, 4 and 5. The hypotenuse of a right triangle is its longest side.';
    const { body, type } = multipart([{ name: 'file', filename: 'triangle-notes.txt', data: notes, type: 'text/plain' }]);
    const up = await http('POST', `${p.api}/files/upload`, { token, rawBody: body, headers: { 'content-type': type } });
    expect(up.status).toBe(201);
    const fileId = up.body.data.file_id ?? up.body.data.id;
    // Text extraction is a file_processing job of the files service: wait until it is done.
    await waitFor(
      async () => {
        const jobs = await http('GET', `${p.api}/jobs?job_type=file_processing`, { token });
        const items: Array<{ status: string }> = jobs.body.data?.items ?? [];
        return items.length > 0 && items.every((j) => j.status === 'completed');
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'text extraction' },
    );
    const jobId = await submit({ topic: 'Pythagorean triples', context: 'Whole number sides of a right triangle', quality: 'low', use_rag: true, enable_thumbnails: false, custom_config: { scene_count: 2, sentences_per_scene: 1 } });
    await waitFor(async () => ((await status(jobId)).status === 'completed' ? true : null), { timeoutMs: 60_000, intervalMs: 250, what: 'the RAG job to complete' });
    const meta = await http('GET', `${p.api}/videos/jobs/${jobId}/metadata`, { token });
    const video = await http('GET', `${p.api}/videos/${meta.body.data.video_id}`, { token });
    expect(video.body.data.custom_metadata.passages_used).toEqual([expect.objectContaining({ file_id: fileId, filename: 'triangle-notes.txt', chunk_index: 0 })]);
    const logs = await http('GET', `${p.api}/jobs/${jobId}/logs?items_per_page=100`, { token });
    expect(JSON.stringify(logs.body.data)).toContain('passages_used');
  });

  it('fails content that cannot be generated with CONTENT_GENERATION_FAILED, without retries', async () => {
    const jobId = await submit({ topic: '?!? …', context: '???', quality: 'low' });
    const failed = await waitFor(async () => ((await status(jobId)).status === 'failed' ? status(jobId) : null), { timeoutMs: 30_000, intervalMs: 250 });
    expect(failed.error).toMatchObject({ error_code: 'CONTENT_GENERATION_FAILED', error_details: { reason: expect.any(String), suggestions: expect.any(Array) } });
    expect(failed.progress.stages_completed).toEqual(['content_analysis']);
  });

  it('a cancel stops the render: ffmpeg and espeak-ng are gone within 2 s', async () => {
    const worker = p.service('render-worker').proc.pid as number;
    const jobId = await submit({ topic: 'Photosynthesis', context: 'How plants turn light into sugar.', quality: 'medium', custom_config: { scene_count: 8, sentences_per_scene: 4 } });
    await waitFor(async () => (await children(worker)).some((c) => /ffmpeg|espeak/.test(c)), { timeoutMs: 30_000, intervalMs: 50, what: 'the render to start' });
    const res = await http('POST', `${p.api}/jobs/${jobId}/cancel`, { token });
    expect(res.status).toBe(200);
    const at = Date.now();
    await waitFor(async () => !(await children(worker)).some((c) => /ffmpeg|espeak/.test(c)), { timeoutMs: 2000, intervalMs: 50, what: 'child processes to end' });
    expect(Date.now() - at).toBeLessThan(2000);
    expect((await status(jobId)).status).toBe('cancelled');
  });
});
