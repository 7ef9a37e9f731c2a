import type { RetrievedPassage } from '@vgp/contracts';
import type { ContentAnalysis, Diagram } from '../script.model.js';
import { findMath, withoutMath } from '../math-text.js';
import { cleanText, stripMarkup } from '../text.util.js';

const STOPWORDS = new Set(
  `a an the and or but if then else of to in on at by for with from into onto about as is are was were be been being it its this that these those
  there here what which who whom whose how why when where do does did done have has had having can could should would may might must will shall
  not no nor so than too very just also only both each few more most other some such own same any all i you he she we they me him her us them my
  your his our their explain explaining explained introduction intro basics basic learn learning understand understanding students student grade
  graders class lesson video about using use used like make makes made get gets one two three many much well way ways thing things
  equals equal means mean called call gives give shows show tells tell takes take need needs find finds work works`.split(/\s+/),
);

/** Formulas the built-in generator knows for common topics (matched on the topic and context). */
const KNOWN: Array<{ match: RegExp; formula: string; diagram?: Diagram }> = [
  { match: /pythagor|right triangle|hypotenuse/i, formula: 'a^2 + b^2 = c^2', diagram: { kind: 'right_triangle', labels: ['a', 'b', 'c'] } },
  { match: /quadratic/i, formula: 'x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}' },
  { match: /derivative|differentiat/i, formula: "f'(x) = \\lim_{h \\to 0} \\frac{f(x+h) - f(x)}{h}" },
  { match: /integral|integration/i, formula: '\\int_a^b f(x)\\,dx = F(b) - F(a)' },
  { match: /relativity|mass[- ]energy|e\s*=\s*mc/i, formula: 'E = mc^2' },
  { match: /newton|force|acceleration/i, formula: 'F = m a' },
  { match: /ohm|resistance|voltage/i, formula: 'V = I R' },
  { match: /circle|\bpi\b|circumference/i, formula: 'A = \\pi r^2' },
  { match: /compound interest/i, formula: 'A = P\\left(1 + \\frac{r}{n}\\right)^{nt}' },
  { match: /probabilit|bayes/i, formula: 'P(A \\mid B) = \\frac{P(B \\mid A)\\,P(A)}{P(B)}' },
  { match: /photosynthesis/i, formula: '6CO_2 + 6H_2O \\rightarrow C_6H_{12}O_6 + 6O_2' },
  { match: /kinetic energy/i, formula: 'E_k = \\frac{1}{2} m v^2' },
  { match: /slope|linear function|straight line/i, formula: 'y = m x + b' },
];

/** A diagram the topic suggests, if any. */
export function knownDiagram(topic: string, context: string): Diagram | undefined {
  return KNOWN.find((k) => k.match.test(topic) || k.match.test(context))?.diagram;
}

/** LaTeX written inline in the text: `$...$`, `$$...$$`, `\(...\)`, `\[...\]` (each once). */
export function extractLatex(text: string): string[] {
  return [...new Set(findMath(text))];
}

/** Words of a text, lower-cased, letters of any script. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []).map((w) => w.replace(/['’-]+$/, ''));
}

/** The most telling terms: topic words first, then frequent context and passage words. */
export function keyTerms(topic: string, context: string, passages: RetrievedPassage[], max = 6): string[] {
  const score = new Map<string, number>();
  const first = new Map<string, number>();
  const add = (w: string, s: number): void => {
    if (w.length < 3 || STOPWORDS.has(w) || /^\p{N}/u.test(w)) return;
    score.set(w, (score.get(w) ?? 0) + s);
    if (!first.has(w)) first.set(w, first.size);
  };
  words(topic).forEach((w) => add(w, 10));
  words(context).forEach((w) => add(w, 1));
  passages.forEach((p) => words(p.text).forEach((w) => add(w, 0.5)));
  return [...score.entries()]
    .sort((a, b) => b[1] - a[1] || (first.get(a[0]) ?? 0) - (first.get(b[0]) ?? 0))
    .slice(0, max)
    .map(([w]) => w);
}

/**
 * Reads topic and context (and retrieved passages): key terms, an outline and the formulas to show.
 * Pure and deterministic.
 */
export function analyzeContent(rawTopic: string, rawContext: string, passages: RetrievedPassage[]): ContentAnalysis {
  const topic = stripMarkup(rawTopic);
  const context = stripMarkup(rawContext ?? '');
  const latexSource = `${cleanText(rawContext ?? '')} ${passages.map((p) => p.text).join(' ')}`;
  const formulas = extractLatex(latexSource);
  const known = KNOWN.find((k) => k.match.test(topic) || k.match.test(context));
  if (known && !formulas.includes(known.formula)) formulas.push(known.formula);
  // Key terms from the words, not from the formulas (`\frac` is no term of the topic).
  const terms = keyTerms(withoutMath(topic), withoutMath(context), passages);
  const outline = ['Introduction', 'Key ideas'];
  if (formulas.length) outline.push('The formula');
  if (passages.length) outline.push('From your documents');
  outline.push('An example', 'Summary');
  return { topic, context, keyTerms: terms, outline, formulas, passages };
}
