import { describe, expect, it } from '@jest/globals';
import { spokenSentence } from './narration.js';

describe('narration text', () => {
  it('speaks LaTeX as words and shows it in readable form, never as source', async () => {
    const s = await spokenSentence('In a right triangle with legs a and b and hypotenuse c, $a^2 + b^2 = c^2$.', 'en-us');
    expect(s.shown).toBe('In a right triangle with legs a and b and hypotenuse c, a² + b² = c².');
    expect(s.segments).toEqual([{ text: 'In a right triangle with legs a and b and hypotenuse c, a squared plus b squared equals c squared.', voice: 'en-us' }]);
    const f = await spokenSentence('A fraction \\( \\frac{a}{b} \\) compares a part to a whole. The sum is $\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$.', 'en-us');
    expect(f.shown).toBe('A fraction a/b compares a part to a whole. The sum is ∑ᵢ₌₁ⁿ i = n(n+1)/2.');
    const said = f.segments.map((x) => x.text).join(' ');
    expect(said).toContain('a over b');
    expect(said).toContain('the sum from i equals 1 to n');
    expect(said).not.toMatch(/[$\\{}]|\bfrac\b|\bsum_/);
    // LaTeX that does not parse is said in its plain form, not as backslashes.
    expect((await spokenSentence('Broken: $\\frac{1$.', 'en-us')).segments[0].text).toBe('Broken: 1.');
  });

  it('keeps comparisons and picks the voice of the script', async () => {
    expect((await spokenSentence('If x<y and y>z then x<z.', 'en-us')).shown).toBe('If x<y and y>z then x<z.');
    expect((await spokenSentence('Η τάση ισούται με το ρεύμα επί την αντίσταση.', 'en-us')).segments).toEqual([{ text: 'Η τάση ισούται με το ρεύμα επί την αντίσταση.', voice: 'el' }]);
    expect((await spokenSentence('植物利用阳光、水和二氧化碳制造葡萄糖和氧气。', 'en-us')).segments).toEqual([{ text: '植物利用阳光、水和二氧化碳制造葡萄糖和氧气。', voice: 'cmn' }]);
  });
});
