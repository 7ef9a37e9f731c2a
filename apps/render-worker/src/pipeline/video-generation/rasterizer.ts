import { renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { EMOJI_FONT_DIR } from './emoji-font.js';

const DEJAVU = '/usr/share/fonts/truetype/dejavu';
// WenQuanYi Micro Hei (Debian's fonts-wqy-microhei): Chinese, Japanese kana and Korean Hangul.
const WQY = '/usr/share/fonts/truetype/wqy';

// Loading only DejaVu is much faster than scanning every system font for each slide.
const FONT_OPTIONS: ResvgRenderOptions['font'] = existsSync(DEJAVU)
  ? { loadSystemFonts: false, fontDirs: [DEJAVU], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans', serifFamily: 'DejaVu Serif', monospaceFamily: 'DejaVu Sans Mono' }
  : { loadSystemFonts: true };

// Loading the CJK font doubles a slide's rasterising time (about +20 ms), so only slides that
// need it load it, and the emoji font likewise; resvg falls back to them glyph by glyph from DejaVu.
const withDirs = (dirs: string[]): ResvgRenderOptions['font'] => {
  const extra = dirs.filter((d) => existsSync(d));
  return FONT_OPTIONS.fontDirs && extra.length ? { ...FONT_OPTIONS, fontDirs: [...FONT_OPTIONS.fontDirs, ...extra] } : FONT_OPTIONS;
};
const OPTIONS_BY_NEED = [FONT_OPTIONS, withDirs([WQY]), withDirs([EMOJI_FONT_DIR]), withDirs([WQY, EMOJI_FONT_DIR])];

/** Hangul Jamo, CJK radicals to Yi, Hangul syllables, compatibility ideographs, full-width forms. */
const CJK = /[\u1100-\u11FF\u2E80-\uA4CF\uAC00-\uD7AF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]/u;
/** Emoji and pictographs, which DejaVu mostly lacks. */
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

/** The fonts a slide's SVG needs. */
export function fontOptionsFor(svg: string): ResvgRenderOptions['font'] {
  return OPTIONS_BY_NEED[(CJK.test(svg) ? 1 : 0) + (PICTOGRAPH.test(svg) ? 2 : 0)];
}

/** Rasterises SVG to PNG at `width` pixels wide, off the main thread (libuv pool). */
// resvg's own abort signal type is not the DOM AbortSignal: callers check theirs between slides.
export async function rasterize(svg: string, width: number): Promise<Buffer> {
  const image = await renderAsync(svg, { fitTo: { mode: 'width', value: width }, font: fontOptionsFor(svg) });
  return image.asPng();
}
