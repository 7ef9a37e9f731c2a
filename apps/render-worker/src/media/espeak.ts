import { runProcess } from './process-runner.js';

export interface SpeakOptions {
  voice: string;
  wordsPerMinute: number;
  signal?: AbortSignal;
}

/**
 * Synthesises `text` into a WAV file with espeak-ng. The text is one argument after `--`, never
 * parsed by a shell nor as espeak markup (`-m` is off, so `<tags>` are read as text).
 */
export async function speak(espeak: string, text: string, wavPath: string, o: SpeakOptions): Promise<void> {
  await runProcess(espeak, ['-v', o.voice, '-s', String(o.wordsPerMinute), '-w', wavPath, '--', text], { signal: o.signal });
}
