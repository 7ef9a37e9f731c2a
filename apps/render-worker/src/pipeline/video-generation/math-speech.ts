import { Sre } from 'mathjax-full/js/a11y/sre.js';
import { latexToText } from '../math-text.js';
import { formulaMathml } from './formula.js';

/** Locales the speech rule engine (MathJax's speech, shipped with mathjax-full) reads maths in. */
const SRE_LOCALES = new Set(['en', 'de', 'es', 'fr', 'it', 'ca', 'da', 'nb', 'nn', 'sv', 'hi', 'ko', 'af']);

let engine: Promise<unknown> = Promise.resolve();
let locale: string | undefined;
let broken = false;

/** The SRE locale for an espeak-ng voice (`en-us` → `en`); English for languages it lacks. */
export function speechLocale(voice: string): string {
  const primary = voice.toLowerCase().split(/[-+]/)[0];
  return SRE_LOCALES.has(primary) ? primary : 'en';
}

/**
 * LaTeX as words to speak (`a^2 + b^2 = c^2` → "a squared plus b squared equals c squared"), with
 * the speech rule engine's ClearSpeak rules. LaTeX that does not parse, or an engine that does not
 * start, gives the readable plain form instead (`a²`), never the source. The engine is one per
 * process: calls are queued so no call sees another's locale.
 */
export function speakLatex(latex: string, voice = 'en-us'): Promise<string> {
  const want = speechLocale(voice);
  const run = engine.then(async () => {
    const mml = formulaMathml(latex);
    if (!mml || broken) return latexToText(latex);
    try {
      if (locale !== want) {
        await Sre.setupEngine({ locale: want, domain: 'clearspeak', modality: 'speech' });
        await Sre.sreReady();
        locale = want;
      }
      const words = Sre.toSpeech(mml).replace(/\s+/g, ' ').trim();
      return words || latexToText(latex);
    } catch {
      // A locale that cannot load (a trimmed install): the plain form from now on.
      broken = true;
      return latexToText(latex);
    }
  });
  engine = run.catch(() => undefined);
  return run;
}
