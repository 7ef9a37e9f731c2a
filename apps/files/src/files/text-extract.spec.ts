import { describe, expect, it } from '@jest/globals';
import { chunkText, htmlToText } from './text-extract.js';

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
