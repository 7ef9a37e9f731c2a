/**
 * The language of a text from its script, and the espeak-ng voice that reads it. Latin-script
 * text is taken to be in the configured voice's language (telling French from English needs more
 * than the script); every other script names its language (Greek → el, Han → Chinese, kana →
 * Japanese, Cyrillic → Russian unless letters say Ukrainian, Belarusian, Serbian or Macedonian, ...).
 */

export interface Language {
  /** BCP 47 language code of the subtitle track (`el`, `zh`, `ja`). */
  code: string;
  /** English name of the language (`Greek`). */
  name: string;
  /** espeak-ng voice (`el`, `cmn`, `ja`). */
  voice: string;
}

/** A run of text and the voice that speaks it. */
export interface VoiceSegment {
  text: string;
  voice: string;
}

interface ScriptRule {
  script: RegExp;
  /** The language of a text in this script (letters may tell languages of one script apart). */
  language: (text: string) => [code: string, voice: string];
}

const fixed =
  (code: string, voice = code): ScriptRule['language'] =>
  () => [code, voice];

// Han is Chinese unless kana are around (Japanese); kana alone are Japanese.
const SCRIPTS: Record<string, ScriptRule> = {
  Greek: { script: /\p{Script=Greek}/u, language: fixed('el') },
  Cyrillic: {
    script: /\p{Script=Cyrillic}/u,
    language: (t) => (/[ѓќѕЃЌЅ]/.test(t) ? ['mk', 'mk'] : /[ђћџљњјЂЋЏЉЊЈ]/.test(t) ? ['sr', 'sr'] : /[ґєїіҐЄЇІ]/.test(t) ? ['uk', 'uk'] : /[ўЎ]/.test(t) ? ['be', 'be'] : ['ru', 'ru']),
  },
  Han: { script: /\p{Script=Han}/u, language: fixed('zh', 'cmn') },
  Kana: { script: /[\p{Script=Hiragana}\p{Script=Katakana}ー]/u, language: fixed('ja') },
  Hangul: { script: /\p{Script=Hangul}/u, language: fixed('ko') },
  Arabic: {
    script: /\p{Script=Arabic}/u,
    language: (t) => (/[ٹڈڑںےہ]/.test(t) ? ['ur', 'ur'] : /[پچژگکی]/.test(t) ? ['fa', 'fa'] : ['ar', 'ar']),
  },
  Hebrew: { script: /\p{Script=Hebrew}/u, language: fixed('he') },
  Devanagari: { script: /\p{Script=Devanagari}/u, language: fixed('hi') },
  Bengali: { script: /\p{Script=Bengali}/u, language: fixed('bn') },
  Gurmukhi: { script: /\p{Script=Gurmukhi}/u, language: fixed('pa') },
  Gujarati: { script: /\p{Script=Gujarati}/u, language: fixed('gu') },
  Oriya: { script: /\p{Script=Oriya}/u, language: fixed('or') },
  Tamil: { script: /\p{Script=Tamil}/u, language: fixed('ta') },
  Telugu: { script: /\p{Script=Telugu}/u, language: fixed('te') },
  Kannada: { script: /\p{Script=Kannada}/u, language: fixed('kn') },
  Malayalam: { script: /\p{Script=Malayalam}/u, language: fixed('ml') },
  Sinhala: { script: /\p{Script=Sinhala}/u, language: fixed('si') },
  Thai: { script: /\p{Script=Thai}/u, language: fixed('th') },
  Myanmar: { script: /\p{Script=Myanmar}/u, language: fixed('my') },
  Georgian: { script: /\p{Script=Georgian}/u, language: fixed('ka') },
  Armenian: { script: /\p{Script=Armenian}/u, language: fixed('hy') },
  Ethiopic: { script: /\p{Script=Ethiopic}/u, language: fixed('am') },
};
const LATIN = /\p{Script=Latin}/u;
// Voices that spell Latin letters out instead of switching to English for them.
const SPELLS_LATIN = new Set(['ja', 'he']);

const names = new Intl.DisplayNames(['en'], { type: 'language' });

/** The English name of a language code (`el` → Greek), the code itself when unknown. */
export function languageName(code: string): string {
  try {
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

/** The language of the configured voice (`en-us` → en, English; `cmn` → zh). */
export function voiceLanguage(voice: string): Language {
  const primary = voice.toLowerCase().split(/[-+]/)[0];
  const code = primary === 'cmn' || primary === 'yue' || primary === 'hak' ? 'zh' : /^[a-z]{2,3}$/.test(primary) ? primary : 'en';
  return { code, name: languageName(code), voice };
}

/** The script of one character (undefined: Latin, digits, punctuation, spaces, symbols). */
function scriptOf(ch: string): string | undefined {
  for (const [name, rule] of Object.entries(SCRIPTS)) if (rule.script.test(ch)) return name;
  return undefined;
}

/**
 * The language a text is written in, from its letters: the script with the most of them (a Han
 * character or a syllable counts as much as a Latin word). Latin (or no letters): the fallback.
 */
export function detectLanguage(text: string, fallback: Language): Language {
  const count = new Map<string, number>();
  let latin = 0;
  for (const ch of text) {
    const s = scriptOf(ch);
    if (s) count.set(s, (count.get(s) ?? 0) + (s === 'Han' || s === 'Kana' || s === 'Hangul' ? 3 : 1));
    else if (LATIN.test(ch)) latin++;
  }
  // Kana anywhere make Han Japanese.
  if (count.has('Kana') && count.has('Han')) {
    count.set('Kana', (count.get('Kana') ?? 0) + (count.get('Han') ?? 0));
    count.delete('Han');
  }
  const [best, n] = [...count.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (!best || !n || n < latin) return fallback;
  const [code, voice] = SCRIPTS[best].language(text);
  return { code, name: languageName(code), voice };
}

/**
 * A sentence cut where its script changes, each run with its voice: Latin text with the fallback
 * voice, Greek with `el`, Chinese with `cmn`, ... Spaces, digits and punctuation go with the run
 * they follow. A short Latin run (a symbol name, one or two words) stays with the voice around it
 * when that voice reads Latin itself (most do, in English); `ja` and `he` spell it out, so it gets
 * the fallback voice. Han next to kana is read with `cmn`: espeak-ng's Japanese reads kana only
 * (kanji would be "Chinese letter"). `has` says whether espeak-ng has a voice; without it, the
 * fallback speaks.
 */
export function voiceSegments(text: string, fallback: string, has: (voice: string) => boolean = () => true): VoiceSegment[] {
  const cjkContext = /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text) ? 'ja' : undefined;
  const voiceFor = (script: string, run: string): string => {
    if (script === 'Han' && cjkContext) return has('cmn') ? 'cmn' : fallback;
    const v = SCRIPTS[script].language(run)[1];
    return has(v) ? v : fallback;
  };
  // Runs by script; neutral characters join the run before them (or the first one).
  const runs: Array<{ script: string | undefined; latin: boolean; text: string }> = [];
  for (const ch of text) {
    const s = scriptOf(ch);
    const latin = !s && LATIN.test(ch);
    const last = runs[runs.length - 1];
    if (!s && !latin) {
      if (last) last.text += ch;
      else runs.push({ script: undefined, latin: false, text: ch });
    } else if (last && (last.script === s && last.latin === latin)) last.text += ch;
    else if (last && !last.script && !last.latin) Object.assign(last, { script: s, latin, text: last.text + ch });
    else runs.push({ script: s, latin, text: ch });
  }
  const segments: VoiceSegment[] = runs.map((r) => ({ text: r.text, voice: r.script ? voiceFor(r.script, r.text) : fallback }));
  runs.forEach((r, i) => {
    const [prev, next] = [runs[i - 1], runs[i + 1]];
    // One Greek letter in Latin prose is a symbol (α, π): the fallback voice names it.
    if (r.script === 'Greek' && [...r.text].filter((ch) => /\p{L}/u.test(ch)).length <= 1 && (prev?.latin || next?.latin)) segments[i].voice = fallback;
  });
  runs.forEach((r, i) => {
    // A short Latin run inside other text ("Ohm", "and") stays with that text's voice when it reads Latin.
    if (!r.latin || r.text.trim().split(/\s+/).length > 2) return;
    const near = [segments[i - 1], segments[i + 1]].find((s) => s && s.voice !== fallback && !SPELLS_LATIN.has(s.voice.split('-')[0]));
    if (near) segments[i].voice = near.voice;
  });
  const out: VoiceSegment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.voice === s.voice) last.text += s.text;
    else out.push({ ...s });
  }
  return out.map((s) => ({ ...s, text: s.text.trim() })).filter((s) => s.text);
}
