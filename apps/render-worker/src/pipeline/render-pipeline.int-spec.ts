import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { VideoFormat, VideoQuality, type JobConfiguration } from '@vgp/contracts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe, DEFAULT_TOOL_PATHS } from '../media/ffmpeg.js';
import { runProcess, runningProcessIds, AbortedError } from '../media/process-runner.js';
import { RenderPipeline, type StageProgress } from './render-pipeline.js';
import { ScriptGenerators } from './script-generation/script-generators.js';

// Real ffmpeg, ffprobe and espeak-ng; videos kept to a few seconds at low quality.
const pipeline = new RenderPipeline({
  tools: DEFAULT_TOOL_PATHS,
  voice: 'en-us',
  wordsPerMinute: 175,
  generators: new ScriptGenerators({ baseUrl: '', apiKey: '', models: [], timeoutMs: 1000 }),
  ragLimit: 3,
  searchPassages: async () => {
    throw new Error('files service unavailable');
  },
});

const config = (over: Partial<JobConfiguration> = {}): JobConfiguration => ({
  topic: 'Pythagorean theorem',
  context: 'It relates the sides of a right triangle.',
  quality: VideoQuality.LOW,
  use_rag: false,
  enable_subtitles: true,
  enable_thumbnails: true,
  output_format: 'mp4',
  custom_config: { scene_count: 2, sentences_per_scene: 1 },
  ...over,
});

/** Silence intervals of a file's audio as ffmpeg's silencedetect hears them. */
async function silences(file: string): Promise<{ starts: number[]; ends: number[] }> {
  const { stderr } = await runProcess('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', 'silencedetect=noise=-40dB:d=0.2', '-f', 'null', '-'], { stderrLimit: 1_000_000 });
  const grab = (k: string) => [...stderr.matchAll(new RegExp(`${k}: ([\\d.]+)`, 'g'))].map((m) => Number(m[1]));
  return { starts: grab('silence_start'), ends: grab('silence_end') };
}

function parseSrt(srt: string): Array<{ start: number; end: number; text: string }> {
  const t = (s: string) => {
    const [h, m, rest] = s.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(rest.replace(',', '.'));
  };
  return srt
    .trim()
    .split(/\n\n/)
    .map((block) => {
      const lines = block.split('\n');
      const [a, b] = lines[1].split(' --> ');
      return { start: t(a), end: t(b), text: lines.slice(2).join(' ') };
    });
}

describe('render pipeline (real ffmpeg and espeak-ng)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vgp-render-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders a low-quality MP4 whose streams, duration, thumbnails and subtitles check out', async () => {
    const progress: StageProgress[] = [];
    const logs: string[] = [];
    const jobDir = await mkdtemp(join(dir, 'mp4-'));
    const r = await pipeline.run({
      jobId: 'j1',
      userId: 'u1',
      dir: jobDir,
      configuration: config({ use_rag: true }),
      onProgress: (p) => progress.push(p),
      onLog: (_l, m) => logs.push(m),
    });
    expect(r.stagesCompleted).toEqual(['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation']);
    // use_rag with the files service away: the job goes on, and says so.
    expect(r.analysis.ragNote).toMatch(/unavailable/);
    expect(logs.join()).toMatch(/continuing without passages/);

    const p = await probe('ffprobe', r.video.path);
    expect(p.format_name).toContain('mp4');
    expect(p.video).toMatchObject({ codec_name: 'h264', width: 854, height: 480, r_frame_rate: '24/1' });
    expect(p.audio).toMatchObject({ codec_name: 'aac', channels: 1 });
    expect(Math.abs(p.duration - r.video.narration.duration)).toBeLessThan(0.15);
    expect(p.duration).toBeGreaterThan(2);

    // Progress inside stages, never going back.
    const pct = progress.map((x) => x.percentage);
    expect(pct).toEqual([...pct].sort((a, b) => a - b));
    expect(progress.filter((x) => x.stage === 'video_generation' && x.details?.frames_encoded !== undefined).length).toBeGreaterThan(0);

    // Three moments, three sizes each, all decodable JPEGs.
    expect(r.thumbnails).toHaveLength(9);
    expect(new Set(r.thumbnails.map((t) => t.timestamp_seconds)).size).toBe(3);
    for (const t of r.thumbnails) {
      const tp = await probe('ffprobe', t.path);
      expect(tp.video).toMatchObject({ codec_name: 'mjpeg', width: t.width, height: t.height });
    }

    // Subtitles: each cue starts where speech starts and ends where it stops (within 100 ms).
    const srt = parseSrt(await readFile(r.subtitles[0].path, 'utf8'));
    const vtt = await readFile(r.subtitles[1].path, 'utf8');
    expect(vtt.startsWith('WEBVTT\n')).toBe(true);
    expect(srt).toHaveLength(2);
    const heard = await silences(r.video.path);
    for (const cue of srt) {
      expect(Math.min(...heard.ends.map((e) => Math.abs(e - cue.start)))).toBeLessThan(0.1);
      expect(Math.min(...heard.starts.map((s) => Math.abs(s - cue.end)))).toBeLessThan(0.1);
    }
  });

  it('produces every other format as a valid file with its codecs', async () => {
    const expected: Record<string, [string, string, string]> = {
      [VideoFormat.MOV]: ['mov', 'h264', 'aac'],
      [VideoFormat.WEBM]: ['webm', 'vp9', 'opus'],
      [VideoFormat.AVI]: ['avi', 'mpeg4', 'mp3'],
      [VideoFormat.WMV]: ['asf', 'wmv2', 'wmav2'],
      [VideoFormat.FLV]: ['flv', 'h264', 'aac'],
    };
    for (const [format, [container, vcodec, acodec]] of Object.entries(expected)) {
      const jobDir = await mkdtemp(join(dir, `${format}-`));
      const r = await pipeline.run({
        jobId: format,
        userId: 'u1',
        dir: jobDir,
        configuration: config({ topic: `Fractions ${format}`, output_format: format, enable_thumbnails: false, enable_subtitles: false, custom_config: { scene_count: 1, sentences_per_scene: 1 } }),
      });
      expect(r.stagesCompleted).toEqual(['content_analysis', 'script_generation', 'video_generation']);
      expect(r.video.path.endsWith(`.${format}`)).toBe(true);
      const p = await probe('ffprobe', r.video.path);
      expect(p.format_name).toContain(container);
      expect(p.video?.codec_name).toBe(vcodec);
      expect(p.audio?.codec_name).toBe(acodec);
      expect(p.video).toMatchObject({ width: 854, height: 480 });
      expect(p.duration).toBeGreaterThan(1);
    }
  });

  it('renders hostile input: markup, emoji, right-to-left text, long words, broken LaTeX', async () => {
    const jobDir = await mkdtemp(join(dir, 'hostile-'));
    const r = await pipeline.run({
      jobId: 'h',
      userId: 'u1',
      dir: jobDir,
      configuration: config({
        topic: '<img src=x onerror=alert(1)> Fractions 🍕 $(rm -rf /) `id` שברים',
        context: `Antidisestablishmentarianismusxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is long. Broken: $\\frac{1$. Quote ' " & done.`,
        template_id: 'chalkboard',
        style_preferences: { theme: 'light', font_size: 'large', primary_color: 'url(javascript:x)' },
        custom_config: { scene_count: 3, sentences_per_scene: 1 },
        enable_thumbnails: false,
      }),
    });
    expect(r.script.title).toBe('Fractions 🍕 $(rm -rf /) `id` שברים');
    expect(r.notes).toContain('primary_color ignored');
    const p = await probe('ffprobe', r.video.path);
    expect(p.video?.codec_name).toBe('h264');
  });

  it('narrates Chinese and Greek with their voices, speaks LaTeX as words and labels the subtitles', async () => {
    const render = async (id: string, topic: string, context: string) =>
      pipeline.run({ jobId: id, userId: 'u1', dir: await mkdtemp(join(dir, `${id}-`)), configuration: config({ topic, context, enable_thumbnails: false, custom_config: { scene_count: 1, sentences_per_scene: 2 } }) });

    const zh = await render('zh', '光合作用的基本原理', '植物利用阳光、水和二氧化碳制造葡萄糖和氧气。');
    expect(zh.language).toEqual({ code: 'zh', name: 'Chinese' });
    expect(zh.subtitles.map((x) => x.filename)).toEqual(['zh.srt', 'zh.vtt']);
    expect(zh.video.narration.voices).toContain('cmn');
    const zhCues = parseSrt(await readFile(zh.subtitles[0].path, 'utf8'));
    expect(zhCues[1].text.replace(/ /g, '')).toBe('植物利用阳光、水和二氧化碳制造葡萄糖和氧气。');
    // Read as Mandarin (about 4 characters a second), not spelled "Chinese letter" by letter (13.7 s).
    expect(zhCues[1].end - zhCues[1].start).toBeLessThan(8);
    // Wrapped between characters: no subtitle line over 21 CJK characters.
    for (const line of (await readFile(zh.subtitles[0].path, 'utf8')).split('\n')) expect([...line].length).toBeLessThanOrEqual(42);

    const el = await render('el', 'Ο νόμος του Ωμ', 'Η τάση ισούται με το ρεύμα επί την αντίσταση: $V = I R$.');
    expect(el.language).toEqual({ code: 'el', name: 'Greek' });
    expect(el.video.narration.voices).toEqual(expect.arrayContaining(['el', 'en-us']));
    const elCues = parseSrt(await readFile(el.subtitles[0].path, 'utf8'));
    // The formula is shown readable, not as its source, and spoken: cue times still follow the audio.
    expect(elCues[1].text).toBe('Η τάση ισούται με το ρεύμα επί την αντίσταση: V = I R.');
    expect(elCues[1].end - elCues[1].start).toBeLessThan(8);
    const heard = await silences(el.video.path);
    for (const cue of elCues) expect(Math.min(...heard.ends.map((e) => Math.abs(e - cue.start)))).toBeLessThan(0.1);
  });

  it('kills ffmpeg and espeak-ng within 2 s of a cancel and reports the abort', async () => {
    const controller = new AbortController();
    const jobDir = await mkdtemp(join(dir, 'cancel-'));
    let abortedAt = 0;
    const run = pipeline.run({
      jobId: 'c',
      userId: 'u1',
      dir: jobDir,
      signal: controller.signal,
      // Medium, so the encode is still running when the abort comes.
      configuration: config({ quality: VideoQuality.MEDIUM, custom_config: { scene_count: 6, sentences_per_scene: 4 } }),
      onProgress: (x) => {
        if (!abortedAt && x.stage === 'video_generation' && x.percentage > 40) {
          abortedAt = Date.now();
          controller.abort('cancelled');
        }
      },
    });
    const err = await run.catch((e: unknown) => e);
    if (!(err instanceof AbortedError)) console.log(err);
    expect(err).toBeInstanceOf(AbortedError);
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    expect(runningProcessIds()).toEqual([]);
  });
});
