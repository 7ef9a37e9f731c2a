import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutText, FileType } from '@vgp/contracts';
import { makePdf } from '@vgp/testing';
import { probeMedia } from './media-probe.js';
import { chunkText, extractText, htmlToText } from './text-extract.js';

/** The regular-expression extraction this replaced (quadratic on hostile markup): the reference for ordinary HTML. */
function regexHtmlToText(html: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|\/p|\/div|\/h[1-6]|\/li|\/tr|\/section|\/article)\b[^>]*>/gi, '\n\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return entities[e.toLowerCase()] ?? m;
    });
}

describe('extractText and probeMedia of text documents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgp-text-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const text = 'Right triangles: a² + b² = c², π ≈ 3.14159 𝜋\n\nThe hypotenuse.';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.from(le.map((_, i, b) => b[i ^ 1]));

  it.each<[string, Buffer, string]>([
    ['UTF-8', Buffer.from(text), 'utf-8'],
    ['UTF-8 with a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8'],
    ['UTF-16LE with its byte order mark', le, 'utf-16le'],
    ['UTF-16BE with its byte order mark', be, 'utf-16be'],
  ])('reads %s', async (name, bytes, encoding) => {
    const path = join(dir, `${name}.txt`);
    writeFileSync(path, bytes);
    expect(await extractText(path, 'text/plain', 10_000, 5000)).toBe(text);
    expect(await extractText(path, 'text/plain', 20, 5000)).toBe(text.slice(0, 20));
    expect(await probeMedia(path, FileType.DOCUMENT, 'text/plain', 5000)).toEqual({ encoding });
  });

  it('cuts a long PDF at the limit, like plain text, instead of failing it', async () => {
    const pages = Array.from({ length: 300 }, (_, i) => `Page ${i + 1}: the hypotenuse of a right triangle is its longest side.`);
    const path = join(dir, 'long.pdf');
    writeFileSync(path, makePdf(pages));
    // Far more text than the limit: the tool's output is read up to it and the rest is not waited for.
    const text = await extractText(path, 'application/pdf', 1000, 10_000);
    expect(text).toHaveLength(1000);
    expect(text?.startsWith('Page 1: the hypotenuse')).toBe(true);
    expect(text).toContain('Page 2: the hypotenuse');
    // A PDF within the limit is read whole.
    const all = await extractText(path, 'application/pdf', 1_000_000, 10_000);
    expect(all).toContain('Page 300: the hypotenuse');
  });

  it('still fails a PDF pdftotext cannot read', async () => {
    const path = join(dir, 'broken.pdf');
    writeFileSync(path, '%PDF-1.4\nnot really a PDF\n');
    await expect(extractText(path, 'application/pdf', 1000, 10_000)).rejects.toThrow(/pdftotext/);
  });

  it('never cuts a text file between the halves of a surrogate pair', async () => {
    const path = join(dir, 'emoji.txt');
    writeFileSync(path, 'ab😀cd');
    expect(await extractText(path, 'text/plain', 3, 5000)).toBe('ab');
    expect(await extractText(path, 'text/plain', 4, 5000)).toBe('ab😀');
  });
});

describe('htmlToText', () => {
  it('keeps visible text only and decodes entities', () => {
    const html = '<html><head><style>p{color:red}</style><script>alert("x")</script></head><body><h1>Right &amp; triangles</h1><!-- hidden --><p>a&sup2; is &#x61;&#178; &lt;b&gt;</p></body></html>';
    const text = htmlToText(html).replace(/\s+/g, ' ').trim();
    expect(text).toBe('Right & triangles a² is a² <b>');
    expect(text).not.toMatch(/alert|color|hidden/);
  });

  it('decodes every HTML5 named reference, as the numeric ones', () => {
    // The same word, named and numeric: the same text (the audit's `caf&eacute;` was 7 characters longer).
    expect(htmlToText('<!doctype html><html><body>caf&eacute;</body></html>')).toBe(htmlToText('<!doctype html><html><body>caf&#233;</body></html>'));
    expect(htmlToText('<p>caf&eacute; &Uuml;ber &ndash; it&rsquo;s &copy; 2024 &hellip; &euro;5 &frac12; &alpha;&Omega; &rarr; &notin; &NotEqualTilde; &nvlt; &fjlig; &zwnj;</p>').trim()).toBe(
      'café Über – it’s © 2024 … €5 ½ αΩ → ∉ ≂̸ <⃒ fj \u200c',
    );
    // Numeric references, decimal and hex, as before; NUL and out-of-range code points are a space.
    expect(htmlToText('&#233;&#xE9;&#XE9;&#x1D70B;&#0;&#x110000;')).toBe('ééé𝜋  ');
    // Names are case-sensitive (&Eacute; is É, &EACUTE; is no name); unknown names stay as written.
    expect(htmlToText('&Eacute; &eacute; &EACUTE; &bogus; &constructor; &toString; &__proto__; &; & amp;')).toBe('É é &EACUTE; &bogus; &constructor; &toString; &__proto__; &; & amp;');
    // The HTML 4 names also without their ";", the longest such name winning, as browsers read text.
    expect(htmlToText('caf&eacute &copy 2024 AT&T R&D &ampx &notin &notit; &not &amp')).toBe('café © 2024 AT&T R&D &x ¬in ¬it; ¬ &');
    // Names that are not HTML 4 ones need their ";".
    expect(htmlToText('&rsquo &hellip x')).toBe('&rsquo &hellip x');
  });

  it('gives the same text as the regular expressions it replaced for ordinary HTML', () => {
    const docs = [
      '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Triangles</title><style type="text/css">p { color: red }</style></head>' +
        '<body><h1 class="x">Right &amp; triangles</h1><p>First<br/>line<br>second</p><div>a &lt; b &gt; c&nbsp;d &#8212; &#x2014; &bogus; &#0;</div>' +
        '<ul><li>one</li><li>two</li></ul><table><tr><td>1</td><td>2</td></tr></table><SCRIPT>if (a < b && c > d) x();</SCRIPT >' +
        '<noscript>Enable JavaScript</noscript><template><p>hidden</p></template><!-- a comment with <p>tags</p> --><section>Sec</section><article>Art</article></body></html>',
      '<p>Unclosed <b>bold and a stray < sign, and 3 > 2</p><script>never closed',
      '<p>An unterminated comment <!-- runs to the end <b>x</b>',
      '<scripts>not a script</scripts><br-x><h7>not a heading</h7><script-x>dash</script-x>',
      '<style>a{}</style  ><style>b{}</STYLE><p>after styles</p><!----><!-- -- -->end',
      'no markup at all &amp; an entity',
    ];
    for (const html of docs) expect(htmlToText(html)).toBe(regexHtmlToText(html));
  });

  it.each<[string, string]>([
    ['<html> and 2,000,000 "<"', `<html>${'<'.repeat(2_000_000)}`],
    ['"<br" 400,000 times', '<br'.repeat(400_000)],
    ['"<!--" 500,000 times', '<!--'.repeat(500_000)],
    ['"<script" 300,000 times', '<script'.repeat(300_000)],
    ['"<style></styl" 150,000 times', '<style></styl'.repeat(150_000)],
    ['"</p <" 400,000 times', '</p <'.repeat(400_000)],
    ['"&#x" and 2,000,000 hex digits', `&#x${'a'.repeat(2_000_000)}`],
    ['"&" and 2,000,000 letters', `&${'a'.repeat(2_000_000)};`],
    ['"&copy" and 2,000,000 letters', `&copy${'a'.repeat(2_000_000)}`],
    ['"&amp" 400,000 times', '&amp'.repeat(400_000)],
  ])('reads a 2 MB adversarial document (%s) in linear time', (_, html) => {
    // Quadratic work on 2 MB takes minutes (an hour for the first case, before); linear work takes
    // well under a second, up to a few on a machine busy with other tests (400,000 entities replaced
    // one by one cost about 0.3 s alone here).
    const started = performance.now();
    const text = htmlToText(html);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(typeof text).toBe('string');
  });

  it('keeps a stray "<" with no ">" after it as text', () => {
    expect(htmlToText(`<html>${'<'.repeat(10)}`)).toBe(` ${'<'.repeat(10)}`);
  });
});

describe('chunkText', () => {
  it('keeps short paragraphs together and cuts near the target size', () => {
    const para = (n: number) => `Paragraph ${n}. ${'word '.repeat(40).trim()}.`;
    const chunks = chunkText(Array.from({ length: 10 }, (_, i) => para(i)).join('\n\n'), 500);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(500);
    expect(chunks.join('\n\n')).toContain('Paragraph 9.');
  });

  it('splits one huge paragraph at sentence and word boundaries', () => {
    const chunks = chunkText('The hypotenuse is the longest side. '.repeat(200), 300);
    expect(chunks.every((c) => c.length <= 300 && c.length > 100)).toBe(true);
    expect(chunks.every((c) => !/\s$/.test(c) && !c.startsWith(' '))).toBe(true);
  });

  it('reads NUL characters as spaces, so a document holding binary bytes is still indexed', () => {
    const chunks = chunkText('Right\0triangles\0\0have\n\n\0\0\n\na hypotenuse.\0');
    expect(chunks).toEqual(['Right triangles have\n\na hypotenuse.']);
    expect(chunks.join('')).not.toContain('\0');
  });

  it('cuts text without spaces (Chinese) into passages, losing nothing', () => {
    const chinese = '直角三角形的斜边是最长的边。'.repeat(300); // 4,200 characters, no spaces
    const chunks = chunkText(`${chinese}\n\n短的段落。`, 800);
    expect(chunks.every((c) => c.length <= 800)).toBe(true);
    expect(chunks.join('').replace(/\s/g, '')).toBe(`${chinese}短的段落。`);
    expect(chunks.length).toBe(6);
  });

  it('never splits a surrogate pair when it cuts a long run', () => {
    const emoji = `x${'😀'.repeat(1000)}`; // 2,001 UTF-16 units
    const chunks = chunkText(`Emoji: ${emoji} done.`, 800);
    expect(chunks.every((c) => c.length <= 800)).toBe(true);
    expect(chunks.join('').replace(/\s/g, '')).toBe(`Emoji:${emoji}done.`);
    for (const c of chunks) expect(c).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('cutText keeps surrogate pairs whole', () => {
    expect(cutText('a😀', 2)).toBe('a');
    expect(cutText('a😀', 3)).toBe('a😀');
    expect(cutText('abc', 5)).toBe('abc');
  });

  it('gives nothing for blank text', () => {
    expect(chunkText(' \n\n \t ')).toEqual([]);
  });
});
