import type { Cue } from '../video-generation/narration.js';

function stamp(seconds: number, sep: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

/** Lines of at most `width` characters (two lines read well under a video). */
export function wrapCue(text: string, width = 42): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
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
