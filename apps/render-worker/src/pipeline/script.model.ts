import type { RetrievedPassage } from '@vgp/contracts';

/** A simple diagram drawn on a slide. */
export interface Diagram {
  kind: 'right_triangle' | 'flow' | 'bars';
  /** Box labels (flow), bar labels (bars) or side labels a, b, c (right_triangle). */
  labels: string[];
  /** Bar heights (bars only), any positive scale. */
  values?: number[];
}

export interface Scene {
  heading: string;
  /** Spoken sentences, in order; each becomes one subtitle cue. */
  narration: string[];
  bullets: string[];
  /** LaTeX, rendered with MathJax; shown as plain text when it does not parse. */
  formula?: string;
  diagram?: Diagram;
}

export interface Script {
  title: string;
  description: string;
  tags: string[];
  scenes: Scene[];
  /** Which generator wrote it (`builtin` or a provider model). */
  generator: string;
}

/** What content analysis found: the input to script generation. */
export interface ContentAnalysis {
  topic: string;
  context: string;
  keyTerms: string[];
  /** Candidate scene headings, in order. */
  outline: string[];
  /** LaTeX found in the context or passages (`$...$`, `\(...\)`) or known for the topic. */
  formulas: string[];
  passages: RetrievedPassage[];
  /** Why no passages were used, when `use_rag` was on and none came back. */
  ragNote?: string;
}

/** Test and tuning knobs a client may put in `custom_config`. */
export interface ScriptOptions {
  /** Scenes to write (the built-in generator: 4-8; fewer only for short previews). */
  sceneCount?: number;
  /** Spoken sentences per scene (1-4). */
  sentencesPerScene?: number;
}

export const SCRIPT_LIMITS = {
  minScenes: 4,
  maxScenes: 8,
  maxHeading: 120,
  maxBullets: 5,
  maxBullet: 160,
  maxSentence: 400,
  maxSentences: 8,
  maxFormula: 300,
} as const;
