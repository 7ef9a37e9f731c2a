import { hasMath, plainMath, splitMath } from '../math-text.js';
import type { Diagram, Scene } from '../script.model.js';
import { escapeXml, isRtl, WIDE_CHAR } from '../text.util.js';
import { advance, EMOJI_FONT_FAMILY, emojiFontHas } from './emoji-font.js';
import { renderFormula, type RenderedFormula } from './formula.js';
import type { SlideTheme } from './slide-theme.js';

/** Slides are laid out on a 1280x720 canvas and rasterised at the output size. */
export const CANVAS = { width: 1280, height: 720 } as const;

/** Chinese, Japanese and Korean text, which the CJK font draws. */
const CJK_TEXT = /[\u1100-\u11FF\u2E80-\uA4CF\uAC00-\uD7AF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]/u;

/** Approximate advance of one character in em (DejaVu Sans metrics, rounded up). */
function charWidth(ch: string): number {
  if (ch === ' ') return 0.32;
  if (WIDE_CHAR.test(ch)) return 1.05;
  if (/[A-Z0-9]/.test(ch)) return 0.7;
  if (/[iljtf.,;:'!|]/.test(ch)) return 0.36;
  if (/[mwMW]/.test(ch)) return 0.92;
  return 0.62;
}

/** Approximate width of text in canvas units. */
export function textWidth(text: string, size: number, bold = false): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w * size * (bold ? 1.1 : 1);
}

/**
 * Wraps text into lines no wider than `max` (ffmpeg's drawtext cannot, and SVG does not wrap):
 * words longer than a line are broken; lines past `maxLines` end in an ellipsis.
 */
export function wrapText(text: string, max: number, size: number, maxLines: number, bold = false): string[] {
  text = displayText(text);
  const lines: string[] = [];
  let line = '';
  const push = (): void => {
    lines.push(line);
    line = '';
  };
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, size, bold) <= max) {
      line = candidate;
      continue;
    }
    if (line) push();
    if (textWidth(word, size, bold) <= max) {
      line = word;
      continue;
    }
    // A word wider than the line: cut it into pieces that fit.
    let piece = '';
    for (const ch of word) {
      if (textWidth(piece + ch, size, bold) > max && piece) {
        line = piece;
        push();
        piece = '';
      }
      piece += ch;
    }
    line = piece;
  }
  if (line) push();
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    let last = kept[maxLines - 1];
    while (last && textWidth(`${last}…`, size, bold) > max) last = [...last].slice(0, -1).join('');
    kept[maxLines - 1] = `${last}…`;
    return kept;
  }
  return lines;
}

// Astral emoji are drawn by the emoji font (Symbola, loaded for slides that have them) when it has
// them; those it lacks are left off, as are joiners, variation selectors, skin tones, flag letters
// and tags (a family emoji shows its members side by side). Subtitles keep everything.
const EMOJI = /[\u{1F000}-\u{1FAFF}]/u;
const EMOJI_ALL = /[\u{1F000}-\u{1FAFF}]/gu;
const EMOJI_PARTS = /[\u{1F1E6}-\u{1F1FF}]|[\u{1F3FB}-\u{1F3FF}]|[\u{E0020}-\u{E007F}]|\uFE0F|\u200D/gu;

// Emoji and pictographs (© and ® are DejaVu's).
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const isEmojiGlyph = (ch: string) => (ch.codePointAt(0) ?? 0) > 0xff && PICTOGRAPH.test(ch) && emojiFontHas(ch);

/**
 * A left-to-right line with emoji as positioned pieces: the text in the slide font and each emoji
 * in the emoji font, each piece at its own x measured from the fonts' advances. resvg shapes a
 * piece of text that has a glyph its font lacks entirely with the fallback font, so one emoji in
 * a line set the whole line in Symbola. Undefined when the line needs no pieces or cannot have
 * them (right-to-left lines, CJK text, a font not installed): the caller writes it whole.
 */
export function emojiPieces(line: string, o: { x: number; size: number; font: string; bold?: boolean; anchor?: 'start' | 'middle' | 'end' }): string | undefined {
  const chars = [...line];
  if (!chars.some(isEmojiGlyph) || isRtl(line) || CJK_TEXT.test(line)) return undefined;
  const pieces: { text: string; emoji: boolean; width: number }[] = [];
  for (const ch of chars) {
    const emoji = isEmojiGlyph(ch);
    const last = pieces[pieces.length - 1];
    if (last && last.emoji === emoji && !emoji) last.text += ch;
    else pieces.push({ text: ch, emoji, width: 0 });
  }
  for (const p of pieces) {
    const w = p.emoji ? advance(p.text, EMOJI_FONT_FAMILY, false, o.size) : advance(p.text, o.font, !!o.bold, o.size);
    if (w === undefined) return undefined;
    p.width = w;
  }
  const total = pieces.reduce((s, p) => s + p.width, 0);
  let x = o.anchor === 'middle' ? o.x - total / 2 : o.anchor === 'end' ? o.x - total : o.x;
  return pieces
    .map((p) => {
      const span = `<tspan x="${x.toFixed(1)}"${p.emoji ? ` font-family="${EMOJI_FONT_FAMILY}" font-weight="normal"` : ''}>${escapeXml(p.text)}</tspan>`;
      x += p.width;
      return span;
    })
    .join('');
}

/** Text as the slide shows it (LaTeX in a heading or label in its readable form, `a² + b²`, unless `math` is false). */
export function displayText(s: string, math = true): string {
  let out = (math ? plainMath(s) : s).replace(EMOJI_PARTS, '');
  if (EMOJI.test(out)) out = [...out].filter((ch) => !EMOJI.test(ch) || emojiFontHas(ch)).join('');
  return out.replace(/\s{2,}/g, ' ').trim();
}

interface TextOpts {
  x: number;
  /** Where a right-to-left line starts (its right edge) when the block is start-anchored. */
  right?: number;
  y: number;
  size: number;
  fill: string;
  font: string;
  bold?: boolean;
  anchor?: 'start' | 'middle' | 'end';
  lineHeight?: number;
}

function textBlock(lines: string[], o: TextOpts): string {
  const lh = o.size * (o.lineHeight ?? 1.28);
  return lines
    .map((line, i) => {
      const rtl = isRtl(line);
      // A right-to-left line starts at the right edge of its block (resvg: `end` with direction rtl).
      const startAnchored = (o.anchor ?? 'start') === 'start';
      const anchor = rtl && startAnchored ? 'end' : (o.anchor ?? 'start');
      const x = rtl && startAnchored ? (o.right ?? o.x) : o.x;
      const y = (o.y + i * lh).toFixed(1);
      const attrs = `font-family="${o.font}" font-size="${o.size.toFixed(1)}"${o.bold ? ' font-weight="bold"' : ''} fill="${o.fill}"`;
      const pieces = emojiPieces(line, o);
      if (pieces) return `<text y="${y}" ${attrs} text-anchor="start" xml:space="preserve">${pieces}</text>`;
      // Lines that cannot be set in pieces show no emoji (one would set the whole line in Symbola).
      const whole = line.replace(EMOJI_ALL, '').replace(/\s{2,}/g, ' ');
      return `<text x="${x.toFixed(1)}" y="${y}" ${attrs} text-anchor="${anchor}"${rtl ? ' direction="rtl"' : ''}>${escapeXml(whole)}</text>`;
    })
    .join('');
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function formulaSvg(latex: string, box: Box, t: SlideTheme): string {
  const f = renderFormula(latex);
  if (!f) {
    // Not valid LaTeX: show the source as text rather than fail the video.
    const size = 30 * t.fontScale;
    const lines = wrapText(latex, box.w, size * 0.95, Math.max(1, Math.floor(box.h / (size * 1.3))));
    return textBlock(lines, { x: box.x + box.w / 2, y: box.y + box.h / 2 - ((lines.length - 1) * size * 1.3) / 2, size, fill: t.text, font: 'DejaVu Sans Mono', anchor: 'middle', lineHeight: 1.3 });
  }
  // MathJax units are 1/1000 em; display maths at about 1.6x the bullet size, shrunk to fit.
  const em = (box.w > 800 ? 84 : 60) * t.fontScale;
  let w = (f.width / 1000) * em;
  let h = (f.height / 1000) * em;
  const k = Math.min(1, box.w / w, box.h / h);
  w *= k;
  h *= k;
  return placeFormula(f, box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h, t.text);
}

/** A MathJax SVG placed at (x, y) in a w x h box, inked in `color`. */
function placeFormula(f: RenderedFormula, x: number, y: number, w: number, h: number, color: string): string {
  const inner = f.svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '').replace(/currentColor/g, color);
  const vb = /viewBox="([^"]+)"/.exec(f.svg)?.[1] ?? `0 ${f.top} ${f.width} ${f.height}`;
  return `<svg x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" viewBox="${vb}" overflow="visible">${inner}</svg>`;
}

type InlineItem = { text: string; w: number; space: boolean } | { f: RenderedFormula; w: number; ascent: number; descent: number; space: boolean; text?: undefined };

/** Width of a run of slide text: the font's own advances where it draws every character, else the estimate. */
function runWidth(text: string, size: number, font: string): number {
  const plain = !WIDE_CHAR.test(text) && !CJK_TEXT.test(text) && !PICTOGRAPH.test(text) && !isRtl(text);
  return (plain ? advance(text, font, false, size) : undefined) ?? textWidth(text, size);
}

/**
 * A bullet with inline LaTeX (`The sum is $\sum_{i=1}^n i$`): its text in the slide font and each
 * formula typeset by MathJax at the text's size, set on lines no wider than `max` (a line with a
 * tall formula gets the room it needs; right-to-left bullets run from the right edge). LaTeX that
 * does not parse is shown as its source. At most `maxLines` lines.
 */
export function mathBullet(text: string, o: { x: number; right: number; y: number; size: number; font: string; fill: string; maxLines: number }): { svg: string; firstBaseline: number; nextY: number } {
  const { size } = o;
  const max = o.right - o.x;
  const items: InlineItem[] = [];
  const addWords = (s: string, spaceBefore: boolean, source = false): void => {
    const words = displayText(s, !source).split(/\s+/).filter(Boolean);
    words.forEach((word, k) => {
      const space = k > 0 || spaceBefore;
      // A word wider than a line is cut into pieces that fit.
      for (const [j, piece] of (textWidth(word, size) > max ? wrapText(word, max, size, 50) : [word]).entries()) {
        items.push({ text: piece, w: runWidth(piece, size, o.font), space: j === 0 && space });
      }
    });
  };
  let prevEndsWithSpace = true;
  for (const p of splitMath(text)) {
    if (p.latex === undefined) {
      addWords(p.text, /^\s/.test(p.text) && items.length > 0);
      prevEndsWithSpace = /\s$/.test(p.text);
      continue;
    }
    const f = renderFormula(p.latex, false);
    if (!f) {
      addWords(p.source, prevEndsWithSpace && items.length > 0, true);
    } else {
      const k = Math.min(1, max / ((f.width / 1000) * size));
      const em = size * k;
      items.push({ f, w: (f.width / 1000) * em, ascent: (-f.top / 1000) * em, descent: ((f.height + f.top) / 1000) * em, space: prevEndsWithSpace && items.length > 0 });
    }
    prevEndsWithSpace = false;
  }
  // Lines, greedily.
  const space = runWidth(' ', size, o.font);
  const lines: InlineItem[][] = [];
  let line: InlineItem[] = [];
  let w = 0;
  for (const it of items) {
    const gap = line.length && it.space ? space : 0;
    if (line.length && w + gap + it.w > max) {
      lines.push(line);
      line = [];
      w = 0;
    }
    w += (line.length && it.space ? space : 0) + it.w;
    line.push(it);
  }
  if (line.length) lines.push(line);
  const shown = lines.slice(0, o.maxLines);
  if (lines.length > o.maxLines) shown[shown.length - 1].push({ text: '…', w: runWidth('…', size, o.font), space: false });

  const rtl = isRtl(displayText(text));
  const parts: string[] = [];
  let baseline = o.y;
  let firstBaseline = o.y;
  let lastDescent = size * 0.3;
  shown.forEach((ln, i) => {
    const ascent = Math.max(size * 0.95, ...ln.map((it) => (it.text === undefined ? it.ascent : 0)));
    const descent = Math.max(size * 0.3, ...ln.map((it) => (it.text === undefined ? it.descent : 0)));
    baseline = i === 0 ? o.y + ascent - size * 0.95 : baseline + Math.max(size * 1.28, lastDescent + ascent + size * 0.12);
    if (i === 0) firstBaseline = baseline;
    lastDescent = descent;
    // Runs of text between formulas are set as one string each.
    let x = rtl ? o.right : o.x;
    let run: { text: string; w: number; at: number } | undefined;
    const flush = (): void => {
      if (!run) return;
      const left = rtl ? run.at - run.w : run.at;
      parts.push(textBlock([run.text], { x: left, right: left + run.w, y: baseline, size, fill: o.fill, font: o.font }));
      run = undefined;
    };
    ln.forEach((it, k) => {
      const gap = k > 0 && it.space ? space : 0;
      x += rtl ? -gap : gap;
      if (it.text !== undefined) {
        if (run) {
          run.text += (gap ? ' ' : '') + it.text;
          run.w += gap + it.w;
        } else run = { text: it.text, w: it.w, at: x };
      } else {
        flush();
        const left = rtl ? x - it.w : x;
        parts.push(placeFormula(it.f, left, baseline - it.ascent, it.w, it.ascent + it.descent, o.fill));
      }
      x += rtl ? -it.w : it.w;
    });
    flush();
  });
  return { svg: parts.join(''), firstBaseline, nextY: baseline + size * 1.28 + Math.max(0, lastDescent - size * 0.3) };
}

function diagramSvg(d: Diagram, box: Box, t: SlideTheme): string {
  const stroke = `stroke="${t.accent}" stroke-width="5" fill="none" stroke-linejoin="round"`;
  const label = (s: string, x: number, y: number, size = 34): string =>
    textBlock(wrapText(s, box.w / 2, size * t.fontScale, 1), { x, y, size: size * t.fontScale, fill: t.text, font: t.font, anchor: 'middle', bold: true });
  if (d.kind === 'right_triangle') {
    const s = Math.min(box.w * 0.75, box.h * 0.8 * 1.33);
    const x0 = box.x + (box.w - s * 0.75) / 2;
    const y1 = box.y + box.h - 40;
    const x1 = x0 + s * 0.75;
    const y0 = y1 - s * 0.6;
    const [a, b, c] = [d.labels[0] ?? 'a', d.labels[1] ?? 'b', d.labels[2] ?? 'c'];
    return [
      `<path d="M${x0} ${y1} L${x1} ${y1} L${x0} ${y0} Z" ${stroke}/>`,
      `<path d="M${x0} ${y1 - 30} L${x0 + 30} ${y1 - 30} L${x0 + 30} ${y1}" stroke="${t.muted}" stroke-width="3" fill="none"/>`,
      label(a, x0 - 30, (y0 + y1) / 2 + 12),
      label(b, (x0 + x1) / 2, y1 + 38),
      label(c, (x0 + x1) / 2 + 30, (y0 + y1) / 2 - 4),
    ].join('');
  }
  if (d.kind === 'bars') {
    const n = Math.max(1, Math.min(6, d.labels.length));
    const values = d.labels.slice(0, n).map((_, i) => Math.max(0, d.values?.[i] ?? i + 1));
    const top = Math.max(...values, 1e-9);
    const slot = box.w / n;
    return d.labels
      .slice(0, n)
      .map((l, i) => {
        const h = ((box.h - 60) * values[i]) / top;
        const x = box.x + i * slot + slot * 0.15;
        return `<rect x="${x.toFixed(1)}" y="${(box.y + box.h - 50 - h).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${t.accent}" rx="6"/>${textBlock(wrapText(l, slot * 0.95, 22 * t.fontScale, 1), { x: x + slot * 0.35, y: box.y + box.h - 18, size: 22 * t.fontScale, fill: t.text, font: t.font, anchor: 'middle' })}`;
      })
      .join('');
  }
  // flow: boxes left to right joined by arrows.
  const labels = d.labels.slice(0, 4);
  const n = Math.max(1, labels.length);
  const gap = 40;
  const bw = (box.w - gap * (n - 1)) / n;
  const bh = Math.min(140, box.h * 0.6);
  const y = box.y + (box.h - bh) / 2;
  const size = Math.min(26, bw / 6) * t.fontScale;
  return labels
    .map((l, i) => {
      const x = box.x + i * (bw + gap);
      const lines = wrapText(l, bw - 16, size, 3, true);
      const arrow = i < n - 1 ? `<path d="M${x + bw + 6} ${y + bh / 2} l${gap - 14} 0 m-10 -8 l10 8 l-10 8" stroke="${t.muted}" stroke-width="4" fill="none"/>` : '';
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" rx="14" ${stroke}/>${textBlock(lines, { x: x + bw / 2, y: y + bh / 2 - ((lines.length - 1) * size * 1.28) / 2 + size * 0.35, size, fill: t.text, font: t.font, anchor: 'middle', bold: true })}${arrow}`;
    })
    .join('');
}

/** What one slide state shows: the first `revealed` of the scene's items (bullets, formula, diagram). */
export interface SlideState {
  scene: Scene;
  sceneIndex: number;
  sceneCount: number;
  title: string;
  revealed: number;
}

/** The items a scene reveals one after another. */
export function revealItems(scene: Scene): number {
  return scene.bullets.length + (scene.formula ? 1 : 0) + (scene.diagram ? 1 : 0);
}

/** The SVG of one slide state (every input string escaped; colours and fonts from the theme only). */
export function buildSlideSvg(s: SlideState, t: SlideTheme): string {
  const { width: W, height: H } = CANVAS;
  const parts: string[] = [];
  parts.push(
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${t.background[0]}"/><stop offset="1" stop-color="${t.background[1]}"/></linearGradient></defs>`,
    `<rect width="${W}" height="${H}" fill="url(#bg)"/>`,
    `<rect x="0" y="0" width="${W}" height="8" fill="${t.accent}"/>`,
  );
  const hs = 50 * t.fontScale;
  const centred = t.headingAlign === 'middle';
  const headingLines = wrapText(s.scene.heading, W - 160, hs, 2, true);
  parts.push(textBlock(headingLines, { x: centred ? W / 2 : 80, right: W - 80, y: 70 + hs, size: hs, fill: t.text, font: t.font, bold: true, anchor: centred ? 'middle' : 'start', lineHeight: 1.15 }));
  const baseline = 70 + hs * (1 + 1.15 * (headingLines.length - 1));
  // The accent rule sits clear of descenders; content starts below it.
  parts.push(`<rect x="${centred ? W / 2 - 60 : 80}" y="${(baseline + hs * 0.32).toFixed(1)}" width="120" height="5" rx="2" fill="${t.accent}"/>`);
  const top = baseline + hs * 0.32 + 24;

  const bullets = s.scene.bullets.slice(0, Math.min(s.revealed, s.scene.bullets.length));
  let shown = s.scene.bullets.length;
  const visual = (kind: 'formula' | 'diagram'): boolean => {
    const present = kind === 'formula' ? !!s.scene.formula : !!s.scene.diagram;
    if (!present) return false;
    shown += 1;
    return s.revealed >= shown;
  };
  const showFormula = visual('formula');
  const showDiagram = visual('diagram');
  const hasVisual = !!s.scene.formula || !!s.scene.diagram;
  const content: Box = { x: 80, y: top + 10, w: W - 160, h: H - 70 - (top + 10) };
  const textBox: Box = hasVisual && s.scene.bullets.length ? { ...content, w: content.w * 0.45 } : content;
  const visualBox: Box = hasVisual && s.scene.bullets.length ? { x: content.x + content.w * 0.5, y: content.y, w: content.w * 0.5, h: content.h } : content;

  const bs = 32 * t.fontScale;
  let y = textBox.y + bs;
  for (const b of bullets) {
    const rtl = isRtl(b);
    if (hasMath(b)) {
      // Inline LaTeX is typeset by MathJax, in line with the bullet's text.
      const m = mathBullet(b, { x: textBox.x + 36, right: textBox.x + textBox.w - 36, y, size: bs, font: t.font, fill: t.text, maxLines: 3 });
      parts.push(`<circle cx="${rtl ? textBox.x + textBox.w - 8 : textBox.x + 8}" cy="${(m.firstBaseline - bs * 0.32).toFixed(1)}" r="${(bs * 0.18).toFixed(1)}" fill="${t.accent}"/>`, m.svg);
      y = m.nextY + bs * 0.6;
      if (y > textBox.y + textBox.h) break;
      continue;
    }
    const lines = wrapText(b, textBox.w - 40, bs, 3);
    parts.push(`<circle cx="${rtl ? textBox.x + textBox.w - 8 : textBox.x + 8}" cy="${(y - bs * 0.32).toFixed(1)}" r="${(bs * 0.18).toFixed(1)}" fill="${t.accent}"/>`);
    parts.push(textBlock(lines, { x: textBox.x + 36, right: textBox.x + textBox.w - 36, y, size: bs, fill: t.text, font: t.font }));
    y += lines.length * bs * 1.28 + bs * 0.6;
    if (y > textBox.y + textBox.h) break;
  }
  if (showFormula && s.scene.formula) {
    const box = showDiagram ? { ...visualBox, h: visualBox.h * 0.4 } : visualBox;
    parts.push(formulaSvg(s.scene.formula, box, t));
  }
  if (showDiagram && s.scene.diagram) {
    const box = s.scene.formula ? { ...visualBox, y: visualBox.y + visualBox.h * 0.42, h: visualBox.h * 0.58 } : visualBox;
    parts.push(diagramSvg(s.scene.diagram, box, t));
  }
  const fs = 18;
  parts.push(textBlock(wrapText(s.title, W - 360, fs, 1), { x: 80, right: W - 200, y: H - 28, size: fs, fill: t.muted, font: t.font }));
  parts.push(textBlock([`${s.sceneIndex + 1} / ${s.sceneCount}`], { x: W - 80, y: H - 28, size: fs, fill: t.muted, font: t.font, anchor: 'end' }));
  const progress = ((s.sceneIndex + 1) / s.sceneCount) * W;
  parts.push(`<rect x="0" y="${H - 6}" width="${progress.toFixed(1)}" height="6" fill="${t.accent}" opacity="0.7"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}
