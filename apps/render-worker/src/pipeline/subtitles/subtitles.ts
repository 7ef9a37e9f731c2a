import type { Cue } from '../video-generation/narration.js';
import { WIDE_CHAR } from '../text.util.js';

function stamp(seconds: number, sep: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

// Text without spaces between words (Chinese, Japanese): a line may break after any character.
const BREAK_ANYWHERE = /[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF\u{20000}-\u{3FFFF}]/u;
// Punctuation that may not start a line (it stays with the character before it).
const NO_LINE_START = /^[、。，．：；！？）］｝〉》」』】〕〗〙〛ー…‥・゛゜ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.:;!?)\]}%’”]$/u;

function columns(s: string): number {
  let n = 0;
  for (const ch of s) n += WIDE_CHAR.test(ch) ? 2 : 1;
  return n;
}

/** A word cut into the pieces a line may end after: each CJK character alone, other text whole. */
function breakable(word: string): string[] {
  if (!BREAK_ANYWHERE.test(word)) return [word];
  const out: string[] = [];
  let run = '';
  for (const ch of word) {
    if (BREAK_ANYWHERE.test(ch) && !NO_LINE_START.test(ch)) {
      if (run) out.push(run);
      out.push(ch);
      run = '';
    } else if (NO_LINE_START.test(ch) && !run && out.length) out[out.length - 1] += ch;
    else run += ch;
  }
  if (run) out.push(run);
  return out;
}

/**
 * Lines of at most `width` columns (two lines read well under a video): broken at spaces, and in
 * Chinese or Japanese text (no spaces) between characters, where a CJK character takes two
 * columns. Closing punctuation never starts a line; surrogate pairs stay whole.
 */
export function wrapCue(text: string, width = 42): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    breakable(word).forEach((piece, k) => {
      const sep = k === 0 && line ? ' ' : '';
      if (line && columns(line) + sep.length + columns(piece) > width) {
        lines.push(line);
        line = piece;
      } else line += sep + piece;
    });
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

// A cue's text may not contain a blank line (it would end the cue) nor, in VTT, "-->".
function safe(text: string): string {
  return text.replace(/-->/g, '→').replace(/\r?\n\s*\r?\n/g, '\n');
}

/** SubRip: cue numbers, `HH:MM:SS,mmm` times, text (plain, no markup). */
export function toSrt(cues: Cue[]): string {
  return cues.map((c, i) => `${i + 1}\n${stamp(c.start, ',')} --> ${stamp(c.end, ',')}\n${safe(wrapCue(c.text))}\n`).join('\n');
}

/** WebVTT: `<`, `>` and `&` escaped (VTT cue text is markup). */
export function toVtt(cues: Cue[]): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `WEBVTT\n\n${cues.map((c, i) => `${i + 1}\n${stamp(c.start, '.')} --> ${stamp(c.end, '.')}\n${esc(safe(wrapCue(c.text)))}\n`).join('\n')}`;
}
