import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileType } from '@vgp/contracts';
import { probeMedia } from './media-probe.js';
import { chunkText, extractText, htmlToText } from './text-extract.js';

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
});

describe('htmlToText', () => {
  it('keeps visible text only and decodes entities', () => {
    const html = '<html><head><style>p{color:red}</style><script>alert("x")</script></head><body><h1>Right &amp; triangles</h1><!-- hidden --><p>a&sup2; is &#x61;&#178; &lt;b&gt;</p></body></html>';
    const text = htmlToText(html).replace(/\s+/g, ' ').trim();
    expect(text).toBe('Right & triangles a&sup2; is a² <b>');
    expect(text).not.toMatch(/alert|color|hidden/);
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

  it('gives nothing for blank text', () => {
    expect(chunkText(' \n\n \t ')).toEqual([]);
  });
});
