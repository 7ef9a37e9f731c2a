import { join } from 'node:path';
import { listVoices, speak } from '../../media/espeak.js';
import { runPool } from '../../media/pool.js';
import { throwIfAborted } from '../../media/process-runner.js';
import { pcmSeconds, readWav, silence, trimSilence, writeWav, type Pcm } from '../../media/wav.js';
import { voiceSegments, type VoiceSegment } from '../language.js';
import { plainMath, splitMath } from '../math-text.js';
import type { Scene } from '../script.model.js';
import { stripMarkup } from '../text.util.js';
import { speakLatex } from './math-speech.js';

/** Pauses of the narration, in seconds. */
export const PAUSES = { lead: 0.3, sentence: 0.25, scene: 0.6, tail: 0.5, voice: 0.08 } as const;

/** One spoken sentence on the video's timeline (also one subtitle cue). */
export interface Cue {
  scene: number;
  /** What the subtitle shows: the sentence with its LaTeX in readable form (`a² + b² = c²`). */
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
  /** The espeak-ng voices that spoke, most used first. */
  voices: string[];
}

export interface NarrateOptions {
  espeak: string;
  /** The voice of Latin-script text (and of any language espeak-ng has no voice for). */
  voice: string;
  wordsPerMinute: number;
  dir: string;
  signal?: AbortSignal;
  /** Sentences synthesised at once (espeak-ng is single-threaded). */
  parallel?: number;
  onSentence?: (done: number, total: number) => void;
}

/** What one sentence shows (subtitle) and says (the runs of text and their voices). */
export interface SpokenSentence {
  shown: string;
  segments: VoiceSegment[];
}

/**
 * A script sentence as shown and as spoken: markup dropped; LaTeX shown in readable form and
 * spoken as words ("a squared plus b squared"); the spoken text cut where its script changes,
 * each run with the voice of its language (`el`, `cmn`, ...; Latin text and languages espeak-ng
 * lacks: `voice`).
 */
export async function spokenSentence(text: string, voice: string, has: (voice: string) => boolean = () => true): Promise<SpokenSentence> {
  const clean = stripMarkup(text);
  const shown = plainMath(clean) || '…';
  const parts = await Promise.all(splitMath(clean).map((p) => (p.latex !== undefined ? speakLatex(p.latex, voice) : p.text)));
  const spoken = parts.join('').replace(/\s+/g, ' ').trim();
  const segments = voiceSegments(spoken, voice, has);
  return { shown, segments: segments.length ? segments : [{ text: '…', voice }] };
}

/**
 * Speaks every sentence into its own WAV, then joins them with pauses into one track. The cue
 * times come from the sample counts of those WAVs, so subtitles match the audio exactly.
 */
export async function narrate(scenes: Scene[], o: NarrateOptions): Promise<Narration> {
  const voices = await listVoices(o.espeak);
  const has = (v: string): boolean => !voices || voices.has(v.toLowerCase());
  const sentences: Array<{ si: number; ti: number; s: SpokenSentence }> = [];
  for (const [si, scene] of scenes.entries()) {
    for (const [ti, text] of scene.narration.entries()) {
      throwIfAborted(o.signal);
      sentences.push({ si, ti, s: await spokenSentence(text, o.voice, has) });
    }
  }
  const jobs = sentences.map(({ si, ti, s }) => ({ text: s.shown, segments: s.segments, path: (k: number) => join(o.dir, `s${si}-${ti}-${k}.wav`) }));
  const pcm: Pcm[] = new Array(jobs.length);
  const used = new Map<string, number>();
  let done = 0;
  await runPool(jobs, o.parallel ?? 2, async (job, i) => {
    const pieces: Pcm[] = [];
    for (const [k, seg] of job.segments.entries()) {
      throwIfAborted(o.signal);
      await speak(o.espeak, seg.text, job.path(k), { voice: seg.voice, wordsPerMinute: o.wordsPerMinute, signal: o.signal });
      pieces.push(trimSilence(await readWav(job.path(k))));
      used.set(seg.voice, (used.get(seg.voice) ?? 0) + seg.text.length);
    }
    pcm[i] = joinPieces(pieces);
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
  return { wavPath, duration: now(), cues, scenes: timings, voices: [...used.entries()].sort((a, b) => b[1] - a[1]).map(([v]) => v) };
}

/** The runs of one sentence (each in its voice) as one, a short breath between them. */
function joinPieces(pieces: Pcm[]): Pcm {
  if (pieces.length === 1) return pieces[0];
  const format = pieces[0];
  const parts: Buffer[] = [];
  pieces.forEach((p, k) => {
    if (p.sampleRate !== format.sampleRate || p.channels !== format.channels) return;
    if (k > 0) parts.push(silence(format, PAUSES.voice));
    parts.push(p.data);
  });
  return { ...format, data: Buffer.concat(parts) };
}
