import { describe, expect, it } from '@jest/globals';
import { chunkSentence, splitSentences, stripMarkup, truncate } from './text.util.js';

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

describe('stripMarkup', () => {
  it('keeps comparisons and angle-bracket text that is no HTML tag', () => {
    expect(stripMarkup('If x<y and y>z then x<z.')).toBe('If x<y and y>z then x<z.');
    expect(stripMarkup('students confuse mass with weight <which is a force>.')).toBe('students confuse mass with weight <which is a force>.');
    expect(stripMarkup('Use the vector <a, b> here.')).toBe('Use the vector <a, b> here.');
    expect(stripMarkup('If a<b and c>d, or x<b and c>y.')).toBe('If a<b and c>d, or x<b and c>y.');
    expect(stripMarkup('List<string> and Map<K, V>; 3 < 4 > 2; a <-- b --> c')).toBe('List<string> and Map<K, V>; 3 < 4 > 2; a <-- b --> c');
  });

  it('still drops real tags, scripts, styles and comments', () => {
    expect(stripMarkup('<p>Hi &amp; <i>bye</i></p>')).toBe('Hi & bye');
    expect(stripMarkup('<img src=x onerror=alert(1)> Fractions <br/> <a href="/x" target=_blank>link</a>')).toBe('Fractions link');
    expect(stripMarkup('<script type="text/javascript">alert(1)</script><style>p{}</style>ok <!-- note --> <input disabled>')).toBe('ok');
    expect(stripMarkup('<DIV CLASS="x">Up</DIV>')).toBe('Up');
    // An escaped tag is the user's text.
    expect(stripMarkup('&lt;b&gt; is bold')).toBe('<b> is bold');
  });
});

describe('LaTeX in prose', () => {
  it('splits sentences, chunks and truncates outside formulas only', () => {
    expect(splitSentences('Pi is $3.14$ roughly. Then $n! = n(n-1)!$ holds. End.')).toEqual(['Pi is $3.14$ roughly.', 'Then $n! = n(n-1)!$ holds.', 'End.']);
    const s = `A formula: $${'x+'.repeat(30)}y$ and more words`;
    expect(truncate(s, 40)).toBe('A formula:…');
    const long = `${'word '.repeat(20)}$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$ and the rest.`;
    for (const piece of chunkSentence(long, 110)) expect((piece.match(/\$/g) ?? []).length % 2).toBe(0);
  });
});
