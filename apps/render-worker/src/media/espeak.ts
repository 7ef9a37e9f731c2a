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

const voiceLists = new Map<string, Promise<Set<string> | null>>();

/**
 * The voices espeak-ng has (`espeak-ng --voices`: the language column, `el`, `cmn`, `en-us`),
 * listed once per binary. Null when it cannot be listed: then every voice is tried as named.
 */
export function listVoices(espeak: string): Promise<Set<string> | null> {
  let list = voiceLists.get(espeak);
  if (!list) {
    list = runProcess(espeak, ['--voices'])
      .then(({ stdout }) => {
        const voices = new Set<string>();
        for (const line of stdout.split('\n').slice(1)) {
          const lang = line.trim().split(/\s+/)[1];
          if (lang) voices.add(lang.toLowerCase());
        }
        return voices.size ? voices : null;
      })
      .catch(() => {
        voiceLists.delete(espeak);
        return null;
      });
    voiceLists.set(espeak, list);
  }
  return list;
}
