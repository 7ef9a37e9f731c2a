import { describe, expect, it } from '@jest/globals';
import { analyzeContent, extractLatex, keyTerms } from '../content-analysis/content-analysis.js';
import { PipelineError } from '../pipeline.errors.js';
import { SCRIPT_LIMITS } from '../script.model.js';
import { BuiltinScriptGenerator } from './builtin.generator.js';
import { scriptSchemaErrors } from './script.schema.js';

const gen = new BuiltinScriptGenerator();
const passage = { file_id: 'f1', filename: 'notes.pdf', chunk_index: 2, text: 'Triangles with integer sides are called Pythagorean triples. The smallest is 3, 4, 5.', rank: 0.9 };

describe('BuiltinScriptGenerator', () => {
  it('writes a title and 4-8 scenes with narration, and is deterministic', async () => {
    const a = analyzeContent('Pythagorean theorem', 'For 8th graders. It relates the sides of a right triangle. Builders use it to square corners.', []);
    const s1 = await gen.generate(a);
    const s2 = await gen.generate(analyzeContent('Pythagorean theorem', 'For 8th graders. It relates the sides of a right triangle. Builders use it to square corners.', []));
    expect(s1).toEqual(s2);
    expect(s1.title).toBe('Pythagorean theorem');
    expect(s1.scenes[0].narration.slice(0, 3)).toEqual(['Welcome! In this video we explore Pythagorean theorem.', 'This lesson is made for 8th graders.', 'It relates the sides of a right triangle.']);
    expect(s1.scenes.length).toBeGreaterThanOrEqual(SCRIPT_LIMITS.minScenes);
    expect(s1.scenes.length).toBeLessThanOrEqual(SCRIPT_LIMITS.maxScenes);
    for (const sc of s1.scenes) expect(sc.narration.length).toBeGreaterThan(0);
    expect(s1.scenes.some((sc) => sc.formula === 'a^2 + b^2 = c^2')).toBe(true);
    expect(s1.scenes.some((sc) => sc.diagram?.kind === 'right_triangle')).toBe(true);
    // What the built-in generator writes also passes the provider schema.
    expect(scriptSchemaErrors({ title: s1.title, description: s1.description, tags: s1.tags, scenes: s1.scenes })).toEqual([]);
  });

  it('uses retrieved passages and LaTeX written in the context', async () => {
    const a = analyzeContent('Triangles', 'Remember $x^2 + y^2 = r^2$ for circles.', [passage]);
    expect(a.formulas[0]).toBe('x^2 + y^2 = r^2');
    const s = await gen.generate(a);
    const docs = s.scenes.find((sc) => sc.heading === 'From your documents');
    expect(docs?.bullets).toEqual(['notes.pdf']);
    expect(docs?.narration.join(' ')).toContain('Pythagorean triples');
  });

  it('keeps LaTeX whole and delimited for the slides and narration, and plain in the metadata', async () => {
    const a = analyzeContent('Fractions: $\\frac{a}{b}$', 'A fraction \\( \\frac{a}{b} \\) compares a part to a whole. The sum is $\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$. Pi is $3.14$ roughly.', []);
    // Key terms come from the words, not from the LaTeX.
    expect(a.keyTerms).not.toContain('frac');
    const s = await gen.generate(a);
    expect(s.title).toBe('Fractions: a/b');
    expect(s.description).not.toMatch(/[$\\]/);
    const ideas = s.scenes.find((sc) => sc.heading === 'Key ideas');
    expect(ideas?.bullets).toEqual(['The sum is $\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$', 'Pi is $3.14$ roughly']);
    const formula = s.scenes.find((sc) => sc.heading === 'The formula');
    expect(formula?.narration[0]).toBe('Here is the formula at the heart of Fractions: $\\frac{a}{b}$: \\(\\frac{a}{b}\\).');
    expect(formula?.bullets).toEqual(['Also: \\(\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\\)']);
  });

  it('outlines a topic given with little context', async () => {
    const s = await gen.generate(analyzeContent('The French Revolution', 'Causes and consequences', []));
    expect(s.scenes[1]).toMatchObject({ heading: 'Key ideas', bullets: ['The basics of The French Revolution', 'Causes and consequences', 'Why it matters'] });
    expect(s.scenes.length).toBeGreaterThanOrEqual(4);
  });

  it('honours scene_count and sentences_per_scene (short previews and tests)', async () => {
    const s = await gen.generate(analyzeContent('Photosynthesis', 'How plants make sugar from light.', []), { sceneCount: 2, sentencesPerScene: 1 });
    expect(s.scenes).toHaveLength(2);
    expect(s.scenes.map((x) => x.narration.length)).toEqual([1, 1]);
    expect(s.scenes[1].heading).toBe('Summary');
  });

  it('strips markup from the topic and keeps emoji, right-to-left text and long words', async () => {
    const a = analyzeContent('<script>alert(1)</script><b>Fractions</b> 🍕 שברים Supercalifragilisticexpialidociousnessly', '', []);
    expect(a.topic).toBe('Fractions 🍕 שברים Supercalifragilisticexpialidociousnessly');
    const s = await gen.generate(a);
    expect(JSON.stringify(s)).not.toContain('<script');
    expect(s.scenes.length).toBeGreaterThanOrEqual(4);
  });

  it('takes a number as a topic', async () => {
    const s = await gen.generate(analyzeContent('1984', 'The novel by George Orwell.', []));
    expect(s.title).toBe('1984');
    expect(s.scenes.length).toBeGreaterThanOrEqual(4);
  });

  it('fails with CONTENT_GENERATION_FAILED and suggestions when the topic has no words', async () => {
    const err = await gen.generate(analyzeContent('🙂 ??? <i></i>', '', [])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'CONTENT_GENERATION_FAILED', retryable: false, details: { reason: expect.any(String), suggestions: expect.arrayContaining(['Be more specific']) } });
  });

  it('finds key terms by weight, topic words first', () => {
    expect(keyTerms('Binary search', 'Search a sorted array by halving the interval. The array must be sorted.', [])).toEqual(['search', 'binary', 'sorted', 'array', 'halving', 'interval']);
    expect(extractLatex('a $\\frac{1}{2}$ and \\(e^{i\\pi}\\) and $$\\int x$$')).toEqual(['\\frac{1}{2}', 'e^{i\\pi}', '\\int x']);
  });
});
