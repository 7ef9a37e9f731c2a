import { describe, expect, it } from '@jest/globals';
import { findMath, latexToText, plainMath, splitMath, withoutMath } from './math-text.js';

describe('LaTeX in prose', () => {
  it('finds $...$, $$...$$, \\(...\\) and \\[...\\], but not dollar amounts', () => {
    expect(findMath('A \\( \\frac{a}{b} \\) and $a^2 + b^2 = c^2$, $$\\int x$$ and \\[y\\].')).toEqual(['\\frac{a}{b}', 'a^2 + b^2 = c^2', '\\int x', 'y']);
    expect(findMath('It costs $5 and $10, or $ 3 $.')).toEqual([]);
    expect(splitMath('The sum is $\\sum_i i$.')).toEqual([{ text: 'The sum is ' }, { latex: '\\sum_i i', source: '$\\sum_i i$', display: false }, { text: '.' }]);
  });

  it('writes LaTeX as readable plain text', () => {
    expect(latexToText('a^2 + b^2 = c^2')).toBe('a² + b² = c²');
    expect(latexToText('\\frac{a}{b}')).toBe('a/b');
    expect(latexToText('\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}')).toBe('∑ᵢ₌₁ⁿ i = n(n+1)/2');
    expect(latexToText('x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}')).toBe('x = (-b ± √(b² - 4ac))/2a');
    expect(latexToText('6CO_2 + 6H_2O \\rightarrow C_6H_{12}O_6 + 6O_2')).toBe('6CO₂ + 6H₂O → C₆H₁₂O₆ + 6O₂');
    expect(latexToText('A = \\pi r^2, \\alpha \\le 90^\\circ')).toBe('A = π r², α ≤ 90°');
    expect(latexToText('\\text{area} = \\mathbb{R}^n')).toBe('area = ℝⁿ');
    // Broken LaTeX still gives text, never an exception.
    expect(latexToText('\\frac{1')).toBe('1');
    expect(plainMath('A fraction \\( \\frac{a}{b} \\) compares a part to a whole.')).toBe('A fraction a/b compares a part to a whole.');
    expect(withoutMath('Remember $\\frac{a}{b}$ well')).toBe('Remember   well');
  });
});
