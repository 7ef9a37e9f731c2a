import { describe, expect, it } from '@jest/globals';
import { chunkSentence, truncate } from './text.util.js';

/** Text that is well-formed Unicode: no half of a surrogate pair alone. */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('truncate', () => {
  it('cuts on a word boundary with an ellipsis', () => {
    expect(truncate('The Pythagorean theorem relates the sides of a right triangle', 30)).toBe('The Pythagorean theorem…');
    expect(truncate('short', 30)).toBe('short');
  });

  it('never splits a surrogate pair, wherever the cut falls', () => {
    for (const lead of ['', 'x']) {
      const topic = `${lead}${'😀'.repeat(60)}`;
      const cut = truncate(topic, 100);
      expect(wellFormed(cut)).toBe(true);
      expect(cut.endsWith('…')).toBe(true);
      expect(cut.length).toBeLessThanOrEqual(100);
    }
    expect(truncate(`${'𝑎'.repeat(20)}`, 10)).toBe(`${'𝑎'.repeat(4)}…`);
  });
});

describe('chunkSentence', () => {
  it('cuts at commas, then spaces, into pieces of at most max characters', () => {
    const s = 'In a right triangle, the square of the hypotenuse equals the sum of the squares of the other two sides, which is what we prove';
    const pieces = chunkSentence(s, 60);
    expect(pieces.every((p) => p.length <= 60)).toBe(true);
    expect(pieces.join(' ')).toBe(s);
  });

  it('keeps every character of text without spaces (it dropped one per cut) and splits no surrogate pair', () => {
    const chinese = '勾股定理'.repeat(100);
    expect(chunkSentence(chinese, 160).join('')).toBe(chinese);
    const emoji = '📐'.repeat(200);
    const pieces = chunkSentence(emoji, 160);
    expect(pieces.join('')).toBe(emoji);
    expect(pieces.every((p) => wellFormed(p) && p.length <= 160)).toBe(true);
    const commas = `${'a,'.repeat(100)}`;
    expect(chunkSentence(commas, 50).join('')).toBe(commas);
  });
});
