import type { ContentAnalysis, Scene, Script, ScriptOptions } from '../script.model.js';
import { SCRIPT_LIMITS } from '../script.model.js';
import { contentGenerationFailed } from '../pipeline.errors.js';
import { knownDiagram, words } from '../content-analysis/content-analysis.js';
import { plainMath } from '../math-text.js';
import { chunkSentence, splitSentences, truncate } from '../text.util.js';

export const BUILTIN_MODEL = 'builtin';

/** Generates a script: implemented offline (built-in) or by a chat-completions provider. */
export interface ScriptGenerator {
  generate(analysis: ContentAnalysis, opts: ScriptOptions, signal?: AbortSignal): Promise<Script>;
}

function cap(s: string): string {
  return s ? s[0].toLocaleUpperCase() + s.slice(1) : s;
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?。！？…]$/.test(t) ? t : `${t}.`;
}

function listPhrase(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Pads or trims the spoken sentences of a scene to the requested count. */
function fit(narration: string[], count: number | undefined, fillers: string[]): string[] {
  const pieces = narration.flatMap((s) => chunkSentence(sentence(s), 200));
  if (!count) return pieces.slice(0, SCRIPT_LIMITS.maxSentences);
  const out = pieces.slice(0, count);
  for (let i = 0; out.length < count && i < fillers.length; i++) out.push(sentence(fillers[i]));
  return out;
}

/**
 * The default generator: offline and deterministic. The same topic, context and passages give the
 * same script. It builds an introduction, key ideas from the context, the formula (written in the
 * context as LaTeX or known for the topic), what the user's documents say, an example and a summary.
 */
export class BuiltinScriptGenerator implements ScriptGenerator {
  async generate(a: ContentAnalysis, opts: ScriptOptions = {}): Promise<Script> {
    // Letters or numbers ("1984" is a topic); punctuation, emoji and markup alone are not.
    const topicWords = words(a.topic);
    if (!topicWords.length) {
      throw contentGenerationFailed('Topic too vague or inappropriate', ['Be more specific', 'Provide more context'], { topic_words: 0 });
    }
    const topic = truncate(a.topic, 100);
    const terms = a.keyTerms.length ? a.keyTerms : topicWords.slice(0, 4);
    let ctx = splitSentences(a.context).map((s) => truncate(s, SCRIPT_LIMITS.maxSentence));
    // "For 8th graders." names the audience: said as such, not read out as a fact.
    const audienceAt = ctx.findIndex((s) => /^for\s+\S/i.test(s) && s.split(/\s+/).length <= 6);
    const audience = audienceAt >= 0 ? ctx[audienceAt].replace(/^for\s+/i, '').replace(/[.!?]+$/, '') : undefined;
    if (audienceAt >= 0) ctx = ctx.filter((_, i) => i !== audienceAt);
    const topicSet = new Set(topicWords);
    const contextTerms = terms.filter((t) => !topicSet.has(t));
    const passageSentences = a.passages.flatMap((p) => splitSentences(p.text).slice(0, 2)).map((s) => truncate(s, SCRIPT_LIMITS.maxSentence));
    const n = opts.sentencesPerScene;
    const scenes: Scene[] = [];

    scenes.push({
      heading: topic,
      bullets: terms.slice(0, 4).map(cap),
      narration: fit(
        [
          `Welcome! In this video we explore ${topic}`,
          ...(audience ? [`This lesson is made for ${audience}`] : []),
          ...(ctx.length ? [ctx[0]] : []),
          `We will look at ${listPhrase(terms.slice(0, 3))}`,
        ],
        n,
        [`Let us begin`],
      ),
    });

    if (ctx.length > 1) {
      const ideas = ctx.slice(1, 4);
      scenes.push({
        heading: 'Key ideas',
        bullets: ideas.map((s) => truncate(s.replace(/[.!?]+$/, ''), 90)),
        narration: fit([`First, the key ideas`, ...ideas], n, [`Keep these ideas in mind`]),
      });
    } else {
      // Little context: an outline of what to ask about the topic.
      const focus = contextTerms.length ? contextTerms.slice(0, 2) : terms.slice(0, 2);
      scenes.push({
        heading: 'Key ideas',
        bullets: [`The basics of ${topic}`, cap(listPhrase(focus)), 'Why it matters'].map((b) => truncate(b, 90)),
        narration: fit(
          [`First, let us see what ${topic} is about`, `Then we look at ${listPhrase(focus)}`, `Finally, we ask why ${topic} matters`],
          n,
          [`Keep these ideas in mind`],
        ),
      });
    }

    if (a.formulas.length) {
      const formula = a.formulas[0];
      scenes.push({
        heading: 'The formula',
        formula,
        // Delimited, so the slide typesets it and the narration speaks it (never cut in half).
        bullets: a.formulas.length > 1 && a.formulas[1].length <= 120 ? [`Also: \\(${a.formulas[1]}\\)`] : [],
        narration: fit(
          [`Here is the formula at the heart of ${topic}${formula.length <= 150 ? `: \\(${formula}\\)` : ''}`, `Each symbol stands for a quantity, and the equation tells us how they relate`, `Try reading it aloud, one symbol at a time`],
          n,
          [],
        ),
      });
    }

    if (a.passages.length) {
      scenes.push({
        heading: 'From your documents',
        bullets: a.passages.slice(0, 3).map((p) => truncate(p.filename, 60)),
        narration: fit([`Your own documents add some detail`, ...passageSentences.slice(0, 3)], n, []),
      });
    }

    const diagram = knownDiagram(a.topic, a.context) ?? { kind: 'flow' as const, labels: terms.slice(0, 4).map((t) => truncate(cap(t), 18)) };
    scenes.push({
      heading: 'An example',
      diagram,
      bullets: [],
      narration: fit(
        diagram.kind === 'right_triangle'
          ? [`Take a right triangle with sides a and b, and the longest side c`, `If a is 3 and b is 4, then c squared is 9 plus 16, which is 25`, `So c is 5`]
          : [`Let us connect the ideas step by step`, `We start from ${terms[0] ?? topic} and move on to ${terms[terms.length - 1] ?? topic}`, `Each step builds on the one before`],
        n,
        [],
      ),
    });

    if (scenes.length < SCRIPT_LIMITS.minScenes) {
      scenes.push({
        heading: 'Why it matters',
        bullets: terms.slice(0, 3).map((t) => `${cap(t)} in practice`),
        narration: fit([`Why does ${topic} matter?`, `You will meet ${listPhrase(terms.slice(0, 2))} again and again`], n, []),
      });
    }

    scenes.push({
      heading: 'Summary',
      bullets: terms.slice(0, 4).map(cap),
      narration: fit([`To sum up, we explored ${topic}`, `Remember ${listPhrase(terms.slice(0, 3))}`, `Thanks for watching`], n, []),
    });

    const count = opts.sceneCount ? Math.max(1, Math.min(SCRIPT_LIMITS.maxScenes, opts.sceneCount)) : scenes.length;
    // Fewer scenes (previews, tests): keep the first and the last, then the middle in order.
    const chosen = count >= scenes.length ? scenes : [...scenes.slice(0, Math.max(1, count - 1)), ...(count > 1 ? [scenes[scenes.length - 1]] : [])];
    return {
      // Metadata is plain text: LaTeX in its readable form (`a² + b² = c²`).
      title: truncate(plainMath(topic), SCRIPT_LIMITS.maxHeading),
      description: truncate(plainMath(`An educational video about ${topic}${a.context ? `: ${a.context}` : '.'}`), 500),
      tags: terms.slice(0, 6),
      scenes: chosen,
      generator: BUILTIN_MODEL,
    };
  }
}
