import { describe, expect, it } from '@jest/globals';
import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { fontOptionsFor, rasterize } from './rasterizer.js';

const line = (text: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100"><rect width="400" height="100" fill="#000"/><text x="10" y="70" font-family="DejaVu Sans" font-size="60" fill="#fff">${text}</text></svg>`;
const pixels = (svg: string, font = fontOptionsFor(svg)) => Buffer.from(new Resvg(svg, { font }).render().pixels);

describe('rasterizer fonts', () => {
  it('has the CJK font installed (npm run setup installs fonts-wqy-microhei)', () => {
    expect(existsSync('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc')).toBe(true);
  });

  it('loads the CJK font only for slides that need it', () => {
    const latin = fontOptionsFor(line('The Pythagorean theorem'));
    expect(latin?.fontDirs).toEqual(['/usr/share/fonts/truetype/dejavu']);
    for (const text of ['勾股定理', '피타고라스 정리', 'ピタゴラスの定理', 'ＡＢＣ']) {
      expect(fontOptionsFor(line(text))?.fontDirs).toEqual(['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/wqy']);
    }
  });

  it('draws Chinese, Korean and Japanese glyphs, not the same missing-glyph box for each', () => {
    // Without the CJK font every character is the same box: two different words look alike.
    const dejavuOnly = fontOptionsFor(line('x'));
    expect(pixels(line('勾股定理'), dejavuOnly).equals(pixels(line('直角三角'), dejavuOnly))).toBe(true);
    for (const [a, b] of [
      ['勾股定理', '直角三角'],
      ['피타고라스', '직각삼각형'],
      ['ピタゴラス', 'サンカクケ'],
    ]) {
      expect(pixels(line(a)).equals(pixels(line(b)))).toBe(false);
    }
  });

  it('has the emoji font installed (npm run setup installs fonts-symbola) and loads it only for slides with emoji', () => {
    expect(existsSync('/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf')).toBe(true);
    expect(fontOptionsFor(line('Pizza 🍕'))?.fontDirs).toEqual(['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/ancient-scripts']);
    expect(fontOptionsFor(line('勾股定理 📐'))?.fontDirs).toEqual(['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/wqy', '/usr/share/fonts/truetype/ancient-scripts']);
  });

  it('draws emoji, each its own glyph, not nothing', () => {
    const dejavuOnly = fontOptionsFor(line('x'));
    const blank = pixels(line(' '));
    // DejaVu alone draws no emoji at all (the same empty slide for both).
    expect(pixels(line('🍕📐'), dejavuOnly).equals(pixels(line('🔺✅'), dejavuOnly))).toBe(true);
    expect(pixels(line('🍕📐')).equals(blank)).toBe(false);
    expect(pixels(line('🍕📐')).equals(pixels(line('🔺✅')))).toBe(false);
  });

  it('rasterises a mixed Latin and CJK slide to PNG', async () => {
    const png = await rasterize(line('a² + b² = c² 勾股定理'), 200);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(200);
  });
});
