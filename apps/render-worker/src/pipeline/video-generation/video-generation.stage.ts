import { VideoFormat, VideoQuality } from '@vgp/contracts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probe, type MediaToolPaths, type ProbeResult } from '../../media/ffmpeg.js';
import { runPool } from '../../media/pool.js';
import { throwIfAborted } from '../../media/process-runner.js';
import type { Script } from '../script.model.js';
import { encodeVideo, FORMAT_PROFILES, QUALITY_PROFILES, type FormatProfile, type QualityProfile, type Still } from './encoder.js';
import { narrate, type Narration } from './narration.js';
import { rasterize } from './rasterizer.js';
import { buildSlideSvg, revealItems } from './slide-svg.js';
import type { SlideTheme } from './slide-theme.js';

export interface VideoGenerationInput {
  script: Script;
  theme: SlideTheme;
  quality: VideoQuality;
  format: VideoFormat;
  dir: string;
  tools: MediaToolPaths;
  voice: string;
  wordsPerMinute: number;
  signal?: AbortSignal;
  /** Fraction of the stage done (0..1) and what is happening. */
  onProgress?: (fraction: number, message: string, details?: Record<string, any>) => void;
}

export interface RenderedVideo {
  path: string;
  quality: QualityProfile;
  format: FormatProfile;
  narration: Narration;
  stills: Still[];
  probe: ProbeResult;
  /** Seconds spent per step, for metrics and the benchmark. */
  timings: { slides: number; narration: number; encode: number };
}

interface PendingState {
  svg: string;
  path: string;
  scene: number;
  state: number;
  states: number;
}

/** When each state of a scene appears: at a sentence start when there are enough, else evenly. */
export function stateStarts(start: number, end: number, sentenceStarts: number[], states: number): number[] {
  if (states <= 1) return [start];
  if (sentenceStarts.length >= states) return [start, ...sentenceStarts.slice(1, states)];
  return Array.from({ length: states }, (_, k) => start + ((end - start) * k) / states);
}

/**
 * `video_generation`: slides as a few PNGs per scene (one per reveal state), narration with
 * espeak-ng, one ffmpeg encode with the audio muxed. Slides and speech are made concurrently.
 */
export async function generateVideo(i: VideoGenerationInput): Promise<RenderedVideo> {
  const q = QUALITY_PROFILES[i.quality];
  const f = FORMAT_PROFILES[i.format];
  const scenes = i.script.scenes;
  const pending: PendingState[] = [];
  scenes.forEach((scene, si) => {
    const states = revealItems(scene) + 1;
    for (let k = 0; k < states; k++) {
      pending.push({
        svg: buildSlideSvg({ scene, sceneIndex: si, sceneCount: scenes.length, title: i.script.title, revealed: k }, i.theme),
        path: join(i.dir, `slide-${si}-${k}.png`),
        scene: si,
        state: k,
        states,
      });
    }
  });
  const total = pending.length + scenes.reduce((n, s) => n + s.narration.length, 0);
  let made = 0;
  let narrated = 0;
  const report = (): void => i.onProgress?.((0.3 * made) / total, `Rendering slides and narration (${narrated} sentences spoken)`, { slides_rendered: made - narrated, sentences_narrated: narrated });

  const t0 = performance.now();
  let slidesDone = 0;
  const slides = runPool(pending, 2, async (p) => {
    throwIfAborted(i.signal);
    await writeFile(p.path, await rasterize(p.svg, q.width));
    made++;
    report();
  }).then(() => {
    slidesDone = performance.now();
  });
  const narration = narrate(scenes, {
    espeak: i.tools.espeak,
    voice: i.voice,
    wordsPerMinute: i.wordsPerMinute,
    dir: i.dir,
    signal: i.signal,
    onSentence: () => {
      made++;
      narrated++;
      report();
    },
  }).then((n) => ({ n, at: performance.now() }));
  // Both settle before rethrowing, so no child process outlives a failure.
  const [sres, nres] = await Promise.allSettled([slides, narration]);
  if (sres.status === 'rejected') throw sres.reason;
  if (nres.status === 'rejected') throw nres.reason;
  const { n, at } = nres.value;
  throwIfAborted(i.signal);

  const stills: Still[] = [];
  n.scenes.forEach((timing, si) => {
    const states = pending.filter((p) => p.scene === si);
    const starts = stateStarts(timing.start, timing.end, timing.sentenceStarts, states.length);
    states.forEach((p, k) => stills.push({ path: p.path, seconds: (k + 1 < starts.length ? starts[k + 1] : timing.end) - starts[k] }));
  });

  const t1 = performance.now();
  const outPath = join(i.dir, `video.${f.extension}`);
  await encodeVideo({
    ffmpeg: i.tools.ffmpeg,
    stills,
    audioPath: n.wavPath,
    duration: n.duration,
    quality: q,
    format: f,
    listPath: join(i.dir, 'slides.ffconcat'),
    outPath,
    threads: i.tools.ffmpegThreads,
    signal: i.signal,
    onProgress: (x) => i.onProgress?.(0.3 + 0.68 * x, `Encoding video (${Math.round(x * 100)}%)`, { frames_encoded: Math.round(x * n.duration * q.fps), frames_total: Math.round(n.duration * q.fps) }),
  });
  const t2 = performance.now();
  const probed = await probe(i.tools.ffprobe, outPath, i.signal);
  return { path: outPath, quality: q, format: f, narration: n, stills, probe: probed, timings: { slides: (slidesDone - t0) / 1000, narration: (at - t0) / 1000, encode: (t2 - t1) / 1000 } };
}
