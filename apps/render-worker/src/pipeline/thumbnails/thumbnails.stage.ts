import type { ThumbnailSize } from '@vgp/contracts';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from '../../media/ffmpeg.js';
import type { Script } from '../script.model.js';
import type { SceneTiming } from '../video-generation/narration.js';

export const THUMBNAIL_WIDTHS: Record<ThumbnailSize, number> = { small: 320, medium: 640, large: 1280 };

export interface Thumbnail {
  index: number;
  size: ThumbnailSize;
  path: string;
  filename: string;
  width: number;
  height: number;
  file_size: number;
  timestamp_seconds: number;
}

/**
 * Meaningful moments: each chosen scene once fully revealed (its last second), preferring the
 * opening, a formula or diagram scene, and the scene with most text; at least three moments.
 */
export function thumbnailMoments(script: Script, scenes: SceneTiming[], duration: number, count = 3): number[] {
  const at = (si: number): number => Math.max(0, Math.min(duration - 0.05, scenes[si].end - Math.min(0.6, (scenes[si].end - scenes[si].start) / 3)));
  const picks: number[] = [];
  const add = (si: number): void => {
    if (si >= 0 && si < scenes.length && !picks.includes(si)) picks.push(si);
  };
  add(0);
  add(script.scenes.findIndex((s) => s.formula));
  add(script.scenes.findIndex((s) => s.diagram));
  const byText = script.scenes.map((s, si) => [si, s.bullets.join(' ').length] as const).sort((a, b) => b[1] - a[1]);
  byText.forEach(([si]) => add(si));
  const moments = picks.slice(0, count).map(at);
  // Fewer scenes than moments: spread the rest over the video.
  for (let k = 1; moments.length < count; k++) moments.push(Math.min(duration - 0.05, (duration * k) / (count + 1)));
  return moments.sort((a, b) => a - b);
}

/** The still on screen at `t` (stills in order, each shown for its seconds). */
export function stillAt(stills: Array<{ path: string; seconds: number }>, t: number): string {
  let end = 0;
  for (const s of stills) {
    end += s.seconds;
    if (t < end) return s.path;
  }
  return stills[stills.length - 1].path;
}

export interface ThumbnailOptions {
  ffmpeg: string;
  /** The lossless frame shown at each moment (the slide still): sharper than a decoded frame and no seeking. */
  frames: string[];
  moments: number[];
  videoWidth: number;
  videoHeight: number;
  dir: string;
  signal?: AbortSignal;
}

/** `thumbnail_generation`: one ffmpeg run writes each moment's frame as small, medium and large JPEGs. */
export async function generateThumbnails(o: ThumbnailOptions): Promise<Thumbnail[]> {
  const sizes = Object.entries(THUMBNAIL_WIDTHS) as Array<[ThumbnailSize, number]>;
  const args: string[] = [];
  o.frames.forEach((f) => args.push('-i', f));
  const graph: string[] = [];
  const outputs: Thumbnail[] = [];
  const outArgs: string[] = [];
  o.moments.forEach((t, i) => {
    graph.push(`[${i}:v:0]split=${sizes.length}${sizes.map((_, k) => `[s${i}_${k}]`).join('')}`);
    sizes.forEach(([size, w], k) => {
      const h = Math.round((w * o.videoHeight) / o.videoWidth / 2) * 2;
      graph.push(`[s${i}_${k}]scale=${w}:${h}:flags=lanczos[o${i}_${k}]`);
      const filename = `${i}-${size}.jpg`;
      const path = join(o.dir, filename);
      outArgs.push('-map', `[o${i}_${k}]`, '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-update', '1', path);
      outputs.push({ index: i, size, path, filename, width: w, height: h, file_size: 0, timestamp_seconds: Math.round(t * 1000) / 1000 });
    });
  });
  await runFfmpeg(o.ffmpeg, [...args, '-filter_complex', graph.join(';'), ...outArgs], { signal: o.signal });
  for (const t of outputs) t.file_size = (await stat(t.path)).size;
  return outputs;
}
