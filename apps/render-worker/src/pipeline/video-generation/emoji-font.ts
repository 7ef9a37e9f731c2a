import { existsSync, readFileSync } from 'node:fs';
import opentype, { type Font, type Glyph } from 'opentype.js';

/** Symbola (Debian's fonts-symbola): monochrome emoji and symbols, drawn in the text's colour. */
export const EMOJI_FONT_DIR = '/usr/share/fonts/truetype/ancient-scripts';
export const EMOJI_FONT_FAMILY = 'Symbola';
const EMOJI_FONT_FILE = `${EMOJI_FONT_DIR}/Symbola_hint.ttf`;
const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';
const DEJAVU_FILES: Record<string, string> = { 'DejaVu Sans': 'DejaVuSans', 'DejaVu Serif': 'DejaVuSerif', 'DejaVu Sans Mono': 'DejaVuSansMono' };

const fonts = new Map<string, Font | null>();

/** A font file parsed once (its character map and advances); null when it is not installed. */
function load(file: string): Font | null {
  let font = fonts.get(file);
  if (font === undefined) {
    if (existsSync(file)) {
      const b = readFileSync(file);
      font = opentype.parse(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, { lowMemory: true });
    } else font = null;
    fonts.set(file, font);
  }
  return font;
}

/**
 * Whether the emoji font draws `ch`. Its character map is read once (about 75 ms), the first time
 * a slide has an emoji; without the font installed, nothing is covered. resvg's colour-emoji
 * support does not draw Noto Color Emoji's bitmaps, so emoji are drawn as outlines.
 */
export function emojiFontHas(ch: string): boolean {
  return (load(EMOJI_FONT_FILE)?.charToGlyphIndex(ch) ?? 0) > 0;
}

/** The advance of `text` in one of the slide fonts (or the emoji font), in the units of `size`; undefined when not installed. */
export function advance(text: string, family: string, bold: boolean, size: number): number | undefined {
  const file = family === EMOJI_FONT_FAMILY ? EMOJI_FONT_FILE : DEJAVU_FILES[family] && `${DEJAVU_DIR}/${DEJAVU_FILES[family]}${bold ? '-Bold' : ''}.ttf`;
  const font = file ? load(file) : null;
  if (!font) return undefined;
  // Glyph by glyph (opentype.js's shaper does not support every substitution DejaVu has), with kerning.
  let w = 0;
  let prev: Glyph | undefined;
  for (const ch of text) {
    const g = font.charToGlyph(ch);
    w += g.advanceWidth ?? 0;
    if (prev) w += kerning(font, prev, g);
    prev = g;
  }
  return (w * size) / font.unitsPerEm;
}

function kerning(font: Font, a: Glyph, b: Glyph): number {
  try {
    return font.getKerningValue(a, b) || 0;
  } catch {
    return 0;
  }
}
