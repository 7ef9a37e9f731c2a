import { renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';

const DEJAVU = '/usr/share/fonts/truetype/dejavu';

// Loading only DejaVu is much faster than scanning every system font for each slide.
const FONT_OPTIONS: ResvgRenderOptions['font'] = existsSync(DEJAVU)
  ? { loadSystemFonts: false, fontDirs: [DEJAVU], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans', serifFamily: 'DejaVu Serif', monospaceFamily: 'DejaVu Sans Mono' }
  : { loadSystemFonts: true };

/** Rasterises SVG to PNG at `width` pixels wide, off the main thread (libuv pool). */
// resvg's own abort signal type is not the DOM AbortSignal: callers check theirs between slides.
export async function rasterize(svg: string, width: number): Promise<Buffer> {
  const image = await renderAsync(svg, { fitTo: { mode: 'width', value: width }, font: FONT_OPTIONS });
  return image.asPng();
}
