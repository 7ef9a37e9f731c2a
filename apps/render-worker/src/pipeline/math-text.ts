/**
 * LaTeX written inline in prose (`$...$`, `$$...$$`, `\(...\)`, `\[...\]`): where it is, and a
 * readable plain-text form of it (`a^2 + b^2 = c^2` → `a² + b² = c²`) for subtitles, titles and
 * headings. Slides typeset it with MathJax (`formula.ts`); narration speaks it (`math-speech.ts`).
 */

/** A piece of prose: text, or LaTeX with its delimiters taken off. */
export type MathPiece = { text: string; latex?: undefined } | { latex: string; source: string; display: boolean; text?: undefined };

// `$...$` as pandoc reads it: the opening `$` followed by a non-space, the closing one preceded by
// a non-space (and no backslash) and not followed by a digit, so "costs $5 and $10" is no maths.
const MATH = /\$\$([^$]{1,300}?)\$\$|(?<![\\$])\$(?![\s$])([^$\n]{0,299}[^\s$\\])?\$(?![\d$])|\\\(([\s\S]{1,300}?)\\\)|\\\[([\s\S]{1,300}?)\\\]/g;

interface MathMatch {
  start: number;
  end: number;
  latex: string;
  display: boolean;
}

function matches(s: string): MathMatch[] {
  const out: MathMatch[] = [];
  for (const m of s.matchAll(MATH)) {
    const latex = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim();
    if (!latex) continue;
    out.push({ start: m.index, end: m.index + m[0].length, latex, display: m[0].startsWith('$$') || m[0].startsWith('\\[') });
  }
  return out;
}

/** The LaTeX spans of a text, in order (delimiters off, trimmed). */
export function findMath(s: string): string[] {
  return matches(s).map((m) => m.latex);
}

/** Where the LaTeX spans are, delimiters included: `[start, end)` pairs. */
export function mathRanges(s: string): Array<[number, number]> {
  return matches(s).map((m) => [m.start, m.end]);
}

/** True when the text has LaTeX in it. */
export function hasMath(s: string): boolean {
  return matches(s).length > 0;
}

/** Text and LaTeX pieces, in order; text pieces are never empty. */
export function splitMath(s: string): MathPiece[] {
  const out: MathPiece[] = [];
  let at = 0;
  for (const m of matches(s)) {
    if (m.start > at) out.push({ text: s.slice(at, m.start) });
    out.push({ latex: m.latex, source: s.slice(m.start, m.end), display: m.display });
    at = m.end;
  }
  if (at < s.length) out.push({ text: s.slice(at) });
  return out;
}

/**
 * The text with each LaTeX span's characters replaced by `x` (same length, so indices agree):
 * lets sentence splitting and cutting find their places outside formulas only.
 */
export function maskMath(s: string): string {
  let out = '';
  let at = 0;
  for (const m of matches(s)) {
    out += s.slice(at, m.start) + 'x'.repeat(m.end - m.start);
    at = m.end;
  }
  return out + s.slice(at);
}

/** Replaces every LaTeX span with `f(latex)`. */
export function replaceMath(s: string, f: (latex: string, display: boolean) => string): string {
  return splitMath(s)
    .map((p) => (p.latex !== undefined ? f(p.latex, p.display) : p.text))
    .join('');
}

/** The text with its LaTeX in readable plain form (`$a^2$` → `a²`). */
export function plainMath(s: string): string {
  return replaceMath(s, (latex) => latexToText(latex));
}

/** The text without its LaTeX (for key terms: `\frac` is no word of the topic). */
export function withoutMath(s: string): string {
  return replaceMath(s, () => ' ');
}

const SUP: Record<string, string> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '+': '⁺', '-': '⁻', '−': '⁻', '=': '⁼', '(': '⁽', ')': '⁾',
  a: 'ᵃ', b: 'ᵇ', c: 'ᶜ', d: 'ᵈ', e: 'ᵉ', f: 'ᶠ', g: 'ᵍ', h: 'ʰ', i: 'ⁱ', j: 'ʲ', k: 'ᵏ', l: 'ˡ', m: 'ᵐ', n: 'ⁿ', o: 'ᵒ', p: 'ᵖ', r: 'ʳ', s: 'ˢ', t: 'ᵗ', u: 'ᵘ', v: 'ᵛ', w: 'ʷ', x: 'ˣ', y: 'ʸ', z: 'ᶻ',
  T: 'ᵀ', '′': '′', '°': '°', '∗': '*', '*': '*',
};
const SUB: Record<string, string> = {
  '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉', '+': '₊', '-': '₋', '−': '₋', '=': '₌', '(': '₍', ')': '₎',
  a: 'ₐ', e: 'ₑ', h: 'ₕ', i: 'ᵢ', j: 'ⱼ', k: 'ₖ', l: 'ₗ', m: 'ₘ', n: 'ₙ', o: 'ₒ', p: 'ₚ', r: 'ᵣ', s: 'ₛ', t: 'ₜ', u: 'ᵤ', v: 'ᵥ', x: 'ₓ',
};

const GREEK: Record<string, string> = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', varepsilon: 'ε', zeta: 'ζ', eta: 'η', theta: 'θ', vartheta: 'ϑ', iota: 'ι', kappa: 'κ',
  lambda: 'λ', mu: 'μ', nu: 'ν', xi: 'ξ', pi: 'π', varpi: 'ϖ', rho: 'ρ', varrho: 'ϱ', sigma: 'σ', varsigma: 'ς', tau: 'τ', upsilon: 'υ', phi: 'φ',
  varphi: 'φ', chi: 'χ', psi: 'ψ', omega: 'ω', Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ', Pi: 'Π', Sigma: 'Σ', Upsilon: 'Υ', Phi: 'Φ',
  Psi: 'Ψ', Omega: 'Ω',
};

const SYMBOLS: Record<string, string> = {
  ...GREEK,
  pm: '±', mp: '∓', times: '×', cdot: '·', div: '÷', ast: '*', star: '⋆', circ: '∘', bullet: '•', le: '≤', leq: '≤', ge: '≥', geq: '≥', neq: '≠', ne: '≠',
  approx: '≈', equiv: '≡', sim: '∼', simeq: '≃', cong: '≅', propto: '∝', ll: '≪', gg: '≫', lt: '<', gt: '>', infty: '∞', partial: '∂', nabla: '∇',
  sum: '∑', prod: '∏', int: '∫', iint: '∬', oint: '∮', to: '→', rightarrow: '→', leftarrow: '←', gets: '←', Rightarrow: '⇒', Leftarrow: '⇐',
  leftrightarrow: '↔', Leftrightarrow: '⇔', implies: '⇒', iff: '⇔', mapsto: '↦', longrightarrow: '⟶', uparrow: '↑', downarrow: '↓', in: '∈',
  notin: '∉', ni: '∋', subset: '⊂', subseteq: '⊆', supset: '⊃', supseteq: '⊇', cup: '∪', cap: '∩', emptyset: '∅', varnothing: '∅', forall: '∀',
  exists: '∃', neg: '¬', lnot: '¬', land: '∧', wedge: '∧', lor: '∨', vee: '∨', oplus: '⊕', otimes: '⊗', perp: '⊥', parallel: '∥', angle: '∠',
  triangle: '△', degree: '°', prime: '′', ldots: '…', cdots: '⋯', dots: '…', vdots: '⋮', ddots: '⋱', mid: '|', vert: '|', Vert: '‖', '|': '‖',
  langle: '⟨', rangle: '⟩', lfloor: '⌊', rfloor: '⌋', lceil: '⌈', rceil: '⌉', hbar: 'ℏ', ell: 'ℓ', Re: 'ℜ', Im: 'ℑ', aleph: 'ℵ', therefore: '∴',
  because: '∵', '{': '{', '}': '}', '%': '%', $: '$', '&': '&', '#': '#', _: '_', lbrace: '{', rbrace: '}', backslash: '\\', colon: ':',
  checkmark: '✓', dagger: '†', S: '§', P: '¶', cdotp: '·', setminus: '∖', sqcup: '⊔', bigcup: '⋃', bigcap: '⋂', coprod: '∐',
};
const SPACES: Record<string, string> = { ',': ' ', ';': ' ', ':': ' ', '>': ' ', ' ': ' ', quad: ' ', qquad: ' ', '!': '', enspace: ' ', thinspace: ' ' };
const FUNCTIONS = new Set('sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth log ln lg exp lim liminf limsup max min sup inf det gcd lcm deg dim ker arg mod bmod pmod Pr hom'.split(' '));
const TEXT_ARG = new Set('text textrm textit textbf textsf texttt mathrm mathit mathbf mathsf mathtt mathcal mathfrak operatorname boldsymbol bm mbox hbox textnormal emph'.split(' '));
const IGNORED = new Set('left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr displaystyle textstyle scriptstyle limits nolimits middle'.split(' '));
const ACCENTS: Record<string, string> = { vec: '\u20D7', hat: '\u0302', bar: '\u0304', overline: '\u0305', tilde: '\u0303', dot: '\u0307', ddot: '\u0308', widehat: '\u0302', widetilde: '\u0303' };
const DOUBLE_STRUCK: Record<string, string> = { R: 'ℝ', N: 'ℕ', Z: 'ℤ', Q: 'ℚ', C: 'ℂ', P: 'ℙ', E: '𝔼' };
const RELATIONS = /\s*([=<>≤≥≠≈≡≅∝→←⇒⇐⇔↔∈∉⊂⊆⊃⊇∼≃])\s*/g;

/** A small LaTeX reader: enough for the formulas people write inline, tolerant of anything else. */
class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  /** Everything up to the end (or the `}` that closes the group being read). */
  seq(inGroup = false): string {
    let out = '';
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (ch === '}') {
        if (inGroup) {
          this.i++;
          return out;
        }
        this.i++;
        continue;
      }
      if (ch === '^' || ch === '_') {
        this.i++;
        out += script(this.arg(), ch === '^' ? SUP : SUB, ch);
        continue;
      }
      if (ch === "'") {
        this.i++;
        out += '′';
        continue;
      }
      out += this.atom();
    }
    return out;
  }

  /** One argument: a `{group}`, a command or one character. */
  arg(): string {
    while (this.s[this.i] === ' ') this.i++;
    if (this.i >= this.s.length) return '';
    return this.atom();
  }

  /** An optional `[argument]`. */
  private optional(): string | undefined {
    if (this.s[this.i] !== '[') return undefined;
    const end = this.s.indexOf(']', this.i);
    if (end < 0) return undefined;
    const inner = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return new Reader(inner).seq();
  }

  private atom(): string {
    const ch = this.s[this.i];
    if (ch === '{') {
      this.i++;
      return this.seq(true);
    }
    if (ch === '~') {
      this.i++;
      return ' ';
    }
    if (ch === '&') {
      this.i++;
      return ' ';
    }
    if (ch !== '\\') {
      const cp = String.fromCodePoint(this.s.codePointAt(this.i) ?? 0);
      this.i += cp.length;
      return /\s/.test(cp) ? ' ' : cp;
    }
    // A command: `\name` or `\` and one character.
    const m = /^\\([A-Za-z]+|.)/s.exec(this.s.slice(this.i));
    if (!m) {
      this.i++;
      return '';
    }
    this.i += m[0].length;
    const name = m[1];
    if (name === '\\') return ' ';
    if (name in SPACES) return SPACES[name];
    if (IGNORED.has(name)) return '';
    if (name in SYMBOLS) return SYMBOLS[name];
    if (FUNCTIONS.has(name)) return name;
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac' || name === 'cfrac') {
      const a = this.arg().trim();
      const b = this.arg().trim();
      return b ? `${group(a)}/${group(b)}` : a;
    }
    if (name === 'binom') {
      const a = this.arg().trim();
      const b = this.arg().trim();
      return `C(${a}, ${b})`;
    }
    if (name === 'sqrt') {
      const n = this.optional()?.trim();
      const x = this.arg().trim();
      const root = n === '3' ? '∛' : n === '4' ? '∜' : `${n ? script(n, SUP, '^') : ''}√`;
      return `${root}${group(x)}`;
    }
    if (name === 'mathbb') {
      const x = this.arg();
      return [...x].map((c) => DOUBLE_STRUCK[c] ?? c).join('');
    }
    if (name in ACCENTS) {
      const x = this.arg();
      return [...x].length === 1 ? x + ACCENTS[name] : x;
    }
    if (TEXT_ARG.has(name)) return this.arg();
    if (name === 'begin' || name === 'end') {
      this.arg();
      return ' ';
    }
    // Unknown: its name, which reads better than the backslash.
    return name;
  }
}

/** `x` raised or lowered: in Unicode super/subscripts when each character has one, else `^(x)`. */
function script(x: string, map: Record<string, string>, mark: string): string {
  const t = x.trim();
  if (!t) return '';
  if (t === '′' || (mark === '^' && (t === '∘' || t === '°'))) return t === '′' ? '′' : '°';
  const chars = [...t.replace(/\s+/g, '')];
  if (chars.every((c) => map[c])) return chars.map((c) => map[c]).join('');
  return chars.length === 1 ? `${mark}${t}` : `${mark}(${t})`;
}

/** Parentheses around a numerator, denominator or root that is more than one term (`n(n+1)` is one). */
function group(x: string): string {
  let depth = 0;
  for (const c of x) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && /[\s+\-−±∓=/·×÷<>≤≥]/.test(c)) return `(${x})`;
  }
  return x;
}

/** A readable plain-text form of LaTeX: `\frac{a}{b}` → `a/b`, `x^2` → `x²`, `\alpha` → `α`. */
export function latexToText(latex: string): string {
  const text = new Reader(latex).seq();
  return text.replace(/\s+/g, ' ').replace(RELATIONS, ' $1 ').replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').trim();
}
