import { join } from 'node:path';
import { speak } from '../../media/espeak.js';
import { runPool } from '../../media/pool.js';
import { throwIfAborted } from '../../media/process-runner.js';
import { pcmSeconds, readWav, silence, trimSilence, writeWav, type Pcm } from '../../media/wav.js';
import type { Scene } from '../script.model.js';
import { stripMarkup } from '../text.util.js';

/** Pauses of the narration, in seconds. */
export const PAUSES = { lead: 0.3, sentence: 0.25, scene: 0.6, tail: 0.5 } as const;

/** One spoken sentence on the video's timeline (also one subtitle cue). */
export interface Cue {
  scene: number;
  text: string;
  start: number;
  end: number;
}

export interface SceneTiming {
  start: number;
  end: number;
  /** Start of each sentence of the scene, absolute. */
  sentenceStarts: number[];
}

export interface Narration {
  wavPath: string;
  duration: number;
  cues: Cue[];
  scenes: SceneTiming[];
}

export interface NarrateOptions {
  espeak: string;
  voice: string;
  wordsPerMinute: number;
  dir: string;
  signal?: AbortSignal;
  /** Sentences synthesised at once (espeak-ng is single-threaded). */
  parallel?: number;
  onSentence?: (done: number, total: number) => void;
}

/**
 * Speaks every sentence into its own WAV, then joins them with pauses into one track. The cue
 * times come from the sample counts of those WAVs, so subtitles match the audio exactly.
 */
export async function narrate(scenes: Scene[], o: NarrateOptions): Promise<Narration> {
  const jobs = scenes.flatMap((s, si) => s.narration.map((text, ti) => ({ si, ti, text: stripMarkup(text) || '…', path: join(o.dir, `s${si}-${ti}.wav`) })));
  const pcm: Pcm[] = new Array(jobs.length);
  let done = 0;
  await runPool(jobs, o.parallel ?? 2, async (job, i) => {
    throwIfAborted(o.signal);
    await speak(o.espeak, job.text, job.path, { voice: o.voice, wordsPerMinute: o.wordsPerMinute, signal: o.signal });
    pcm[i] = trimSilence(await readWav(job.path));
    o.onSentence?.(++done, jobs.length);
  });
  throwIfAborted(o.signal);
  const format = pcm[0] ?? { sampleRate: 22050, channels: 1 };
  const chunks: Buffer[] = [];
  let bytes = 0;
  const add = (b: Buffer): void => {
    chunks.push(b);
    bytes += b.length;
  };
  const now = (): number => pcmSeconds(format, bytes);
  const cues: Cue[] = [];
  const timings: SceneTiming[] = [];
  let k = 0;
  scenes.forEach((scene, si) => {
    const start = now();
    add(silence(format, si === 0 ? PAUSES.lead : PAUSES.scene / 2));
    const sentenceStarts: number[] = [];
    scene.narration.forEach((_, ti) => {
      if (ti > 0) add(silence(format, PAUSES.sentence));
      const p = pcm[k];
      const data = p.sampleRate === format.sampleRate && p.channels === format.channels ? p.data : Buffer.alloc(0);
      const t0 = now();
      add(data);
      sentenceStarts.push(t0);
      cues.push({ scene: si, text: jobs[k].text, start: t0, end: now() });
      k++;
    });
    add(silence(format, si === scenes.length - 1 ? PAUSES.tail : PAUSES.scene / 2));
    timings.push({ start, end: now(), sentenceStarts });
  });
  const wavPath = join(o.dir, 'narration.wav');
  await writeWav(wavPath, format, chunks);
  return { wavPath, duration: now(), cues, scenes: timings };
}
