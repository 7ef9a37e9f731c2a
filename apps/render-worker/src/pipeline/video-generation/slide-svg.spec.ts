import { describe, expect, it } from '@jest/globals';
import { Resvg } from '@resvg/resvg-js';
import { chunkSentence, escapeXml, isRtl, splitSentences, stripMarkup } from '../text.util.js';
import { renderFormula } from './formula.js';
import { buildSlideSvg, textWidth, wrapText } from './slide-svg.js';
import { fontOptionsFor } from './rasterizer.js';
import { resolveTheme } from './slide-theme.js';

const { theme } = resolveTheme(undefined, {});

describe('slides', () => {
  it('escapes XML so input can never become markup', () => {
    expect(escapeXml(`<svg onload="x">&'`)).toBe('&lt;svg onload=&quot;x&quot;&gt;&amp;&apos;');
    const svg = buildSlideSvg({ scene: { heading: '</text><script>alert(1)</script>', narration: ['x'], bullets: ['"quoted" & <b>bold</b>'] }, sceneIndex: 0, sceneCount: 1, title: 'T', revealed: 1 }, theme);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;');
    // And it is well-formed: resvg parses and renders it.
    expect(new Resvg(svg, { fitTo: { mode: 'width', value: 320 } }).render().width).toBe(320);
  });

  it('wraps text to the width and breaks words longer than a line', () => {
    const long = 'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(3);
    const lines = wrapText(`A ${long} word`, 400, 32, 10);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(textWidth(l, 32)).toBeLessThanOrEqual(400);
    expect(lines.join(' ').replace(/ /g, '')).toBe(`A${long}word`);
    const capped = wrapText('word '.repeat(100), 300, 32, 2);
    expect(capped).toHaveLength(2);
    expect(capped[1].endsWith('…')).toBe(true);
  });

  it('places right-to-left lines from the right edge', () => {
    expect(isRtl('שלום עולם')).toBe(true);
    expect(isRtl('Hello שלום')).toBe(false);
    const svg = buildSlideSvg({ scene: { heading: 'مرحبا بالعالم', narration: ['x'], bullets: ['שלום'] }, sceneIndex: 0, sceneCount: 1, title: 'T', revealed: 1 }, theme);
    // Anchored at the right margin (x = 1280 - 80), growing leftwards.
    expect(svg).toContain('<text x="1200.0" y="120.0" font-family="DejaVu Sans" font-size="50.0" font-weight="bold" fill="#f8fafc" text-anchor="end" direction="rtl">مرحبا بالعالم</text>');
    expect(svg).toMatch(/<text x="1164\.0" [^>]*text-anchor="end" direction="rtl">שלום<\/text>/);
  });

  it('keeps the emoji the emoji font draws and leaves off the rest (subtitles keep them all)', () => {
    // Pizza and the family's members are in Symbola; flag letters, joiners and skin tones are left
    // off; 🥲 (Unicode 13) is not in the font.
    expect(wrapText('Pizza 🍕 fractions 👩‍👩‍👧 🇫🇷 👍🏽 🥲!', 2000, 30, 1)).toEqual(['Pizza 🍕 fractions 👩👩👧 👍 !']);
  });

  it('sets the text of a line with emoji in the slide font and each emoji in the emoji font, side by side', () => {
    const slide = (heading: string, t = theme) => buildSlideSvg({ scene: { heading, narration: ['x'], bullets: [] }, sceneIndex: 0, sceneCount: 1, title: 'T', revealed: 0 }, t);
    const svg = slide('Pizza 🍕 <time>');
    expect(svg).toMatch(/<text y="120\.0" font-family="DejaVu Sans" [^>]*font-weight="bold"[^>]*text-anchor="start" xml:space="preserve"><tspan x="80\.0">Pizza <\/tspan><tspan x="(\d+\.\d)" font-family="Symbola" font-weight="normal">🍕<\/tspan><tspan x="(\d+\.\d)"> &lt;time&gt;<\/tspan><\/text>/);
    // Rasterised, the text before the emoji is exactly the text without it: same font, same place.
    const left = (svg: string) => {
      const img = new Resvg(svg, { font: fontOptionsFor(svg) }).render();
      const rows: Buffer[] = [];
      for (let y = 40; y < 160; y++) rows.push(Buffer.from(img.pixels.subarray((y * img.width) * 4, (y * img.width + 220) * 4)));
      return Buffer.concat(rows);
    };
    expect(left(svg).equals(left(slide('Pizza')))).toBe(true);
    expect(left(svg).equals(left(slide('Pasta')))).toBe(false);
    // Right-to-left and CJK lines are not set in pieces: their emoji are left off.
    expect(slide('שלום 🍕 עולם')).toContain('direction="rtl">שלום עולם</text>');
    expect(slide('勾股定理 📐')).toContain('>勾股定理 </text>');
    // A centred heading is centred as a whole.
    const centred = slide('🍕 Pizza', resolveTheme('minimal').theme);
    const first = Number(centred.match(/<tspan x="(\d+\.\d)" font-family="Symbola"/)?.[1]);
    expect(first).toBeGreaterThan(500);
    expect(first).toBeLessThan(640);
  });

  it('renders LaTeX with MathJax and shows broken LaTeX as plain text', () => {
    expect(renderFormula('\\frac{a}{b} = \\sqrt{c}')?.svg).toContain('<svg');
    expect(renderFormula('\\frac{a')).toBeNull();
    expect(renderFormula('\\undefinedmacro{x}')).toBeNull();
    expect(renderFormula('\\def\\a{\\a}\\a')).toBeNull();
    const svg = buildSlideSvg({ scene: { heading: 'H', narration: ['x'], bullets: [], formula: '\\frac{a' }, sceneIndex: 0, sceneCount: 1, title: 'T', revealed: 1 }, theme);
    expect(svg).toContain('>\\frac{a</text>');
  });

  it('typesets LaTeX in bullets with MathJax, in line with the text, and shows headings in readable form', () => {
    const scene = {
      heading: 'Why $a^2 + b^2 = c^2$',
      narration: ['x'],
      bullets: ['The sum is $\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$', 'A fraction \\( \\frac{a}{b} \\) compares', 'Broken: $\\frac{1$ stays'],
    };
    const svg = buildSlideSvg({ scene, sceneIndex: 0, sceneCount: 1, title: 'T', revealed: 3 }, theme);
    // No LaTeX source on the slide: the formulas are MathJax SVGs (paths) beside the text.
    expect(svg.replace('Broken: $\\frac{1$ stays', '')).not.toMatch(/\\sum|\\frac|\$|\\\(/);
    expect(svg.match(/data-mml-node="mfrac"/g)).toHaveLength(2);
    expect(svg).toContain('>The sum is</text>');
    expect(svg).toContain('>compares</text>');
    expect(svg).toContain('Why a² + b² = c²</text>');
    // Invalid LaTeX is shown as its source.
    expect(svg).toContain('>Broken: $\\frac{1$ stays</text>');
    // The formula follows its text on the same baseline.
    const text = /<text x="116\.0" y="([\d.]+)"[^>]*>The sum is<\/text><svg x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg);
    expect(text).not.toBeNull();
    const [baseline, x, top, , h] = (text ?? []).slice(1).map(Number);
    expect(x).toBeGreaterThan(116 + textWidth('The sum is', 32) * 0.8);
    expect(top).toBeLessThan(baseline);
    expect(top + h).toBeGreaterThan(baseline);
    expect(new Resvg(svg, { fitTo: { mode: 'width', value: 320 } }).render().width).toBe(320);
  });

  it('reveals bullets one state at a time', () => {
    const scene = { heading: 'H', narration: ['x'], bullets: ['first', 'second'] };
    const at = (revealed: number) => buildSlideSvg({ scene, sceneIndex: 0, sceneCount: 2, title: 'T', revealed }, theme);
    expect(at(0)).not.toContain('first');
    expect(at(1)).toContain('first');
    expect(at(1)).not.toContain('second');
    expect(at(2)).toContain('second');
  });

  it('takes only known templates, themes and hex colours from the job', () => {
    const r = resolveTheme('chalkboard', { theme: 'light', font_size: 'large', primary_color: '#ff0000', text_color: 'red"/><script', font_family: 'serif' });
    expect(r.theme).toMatchObject({ template: 'chalkboard', accent: '#ff0000', fontScale: 1.2, font: 'DejaVu Serif', text: '#111827' });
    expect(r.notes).toEqual(['text_color ignored']);
    expect(resolveTheme('nope', {}).notes).toEqual(['unknown template_id, using classic']);
  });

  it('splits and cleans narration text', () => {
    expect(splitSentences('First one. Second, e.g. this one! Third?')).toEqual(['First one.', 'Second, e.g. this one!', 'Third?']);
    expect(stripMarkup('<p>Hi &amp; <i>bye</i></p>\u0007')).toBe('Hi & bye');
    for (const piece of chunkSentence('word, '.repeat(80), 100)) expect(piece.length).toBeLessThanOrEqual(100);
  });
});
