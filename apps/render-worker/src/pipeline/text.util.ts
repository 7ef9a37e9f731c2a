import { cutText } from '@vgp/contracts';
import { maskMath, mathRanges } from './math-text.js';

/** Text helpers shared by the stages: input is hostile until shown otherwise. */

/**
 * A character that takes two columns (East Asian wide: CJK ideographs, kana, Hangul syllables,
 * fullwidth forms, emoji): slides give it a wider box, subtitles count it twice.
 */
export const WIDE_CHAR = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]|\p{Extended_Pictographic}/u;

// C0/C1 controls except tab/newline, lone surrogates, bidi overrides that could hide text order.
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/g;

/** Removes control characters and collapses whitespace. */
export function cleanText(s: string): string {
  return s.replace(CONTROL, '').replace(/\s+/g, ' ').trim();
}

// HTML element names: only these are taken for tags. Text in angle brackets that is no element
// (`<which is a force>`, `x<y and y>z`, the vector `<a, b>`) is the user's text and stays.
const HTML_TAGS = new Set(
  `a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col colgroup data datalist dd del
  details dfn dialog div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i
  iframe img input ins kbd label legend li link main map mark marquee math menu meta meter nav noscript object ol optgroup option output p param
  picture pre progress q rp rt ruby s samp script section select slot small source span strike strong style sub summary sup svg table tbody td
  template textarea tfoot th thead time title tr track tt u ul var video wbr center big blink nobr`.split(/\s+/),
);
// Attributes a tag may carry without a value (`<input disabled>`); any other attribute needs one
// (`<img src=x>`), so `<b and c>` is text, not a bold tag with attributes "and" and "c".
const BARE_ATTRS = new Set('allowfullscreen async autofocus autoplay checked controls default defer disabled formnovalidate hidden inert ismap itemscope loop multiple muted nomodule novalidate open playsinline readonly required reversed selected'.split(' '));
// `<name attr=value ...>`, `<name/>`, `</name>`: a well-formed tag, its name and its attributes.
const TAG = /<(\/?)([a-z][a-z0-9]*)((?:\s+[^\s<>"'=/`]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"'=`]+))?)*)\s*(\/?)>/gi;
const ATTR = /([^\s<>"'=/`]+)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"'=`]+))?/g;

/** True when `<...>` is an HTML tag: a known element name, and attributes with values (or known bare ones); closing tags have none. */
function isHtmlTag(close: string, name: string, attrs: string, selfClose: string): boolean {
  if (!HTML_TAGS.has(name.toLowerCase())) return false;
  if (close) return !attrs.trim() && !selfClose;
  for (const m of attrs.matchAll(ATTR)) if (!m[2] && !BARE_ATTRS.has(m[1].toLowerCase())) return false;
  return true;
}

/**
 * Drops HTML (`<b>`, `<img src=x>`, `<script>…</script>`, `<!-- comments -->`) so it is neither
 * spoken nor shown as code. Only real tags go: `x<y and y>z`, `<a, b>` or `<which is a force>`
 * are text and are kept.
 */
export function stripMarkup(s: string): string {
  return cleanText(
    s
      .replace(/<(script|style)\b(?:\s[^<>]*)?>[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(TAG, (tag: string, close: string, name: string, attrs: string, selfClose: string) => (isHtmlTag(close, name, attrs, selfClose) ? ' ' : tag))
      .replace(/&(lt|gt|amp|quot|apos|nbsp);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' })[e] ?? ' '),
  );
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Splits prose into sentences (keeps abbreviations like "e.g." mostly intact, and never splits inside LaTeX). */
export function splitSentences(s: string): string[] {
  const text = cleanText(s);
  if (!text) return [];
  // Found on a copy with the formulas masked (`$3.14$`, `$n!$`), cut from the text itself.
  const masked = maskMath(text);
  const parts = [...masked.matchAll(/[^.!?。！？]+(?:[.!?。！？]+|$)/g)].map((m) => text.slice(m.index, m.index + m[0].length));
  if (!parts.length) parts.push(text);
  const out: string[] = [];
  for (const p of parts) {
    const t = p.trim();
    if (!t) continue;
    // Re-attach fragments such as "e.g." or a lone number to the previous sentence.
    if (out.length && (t.length < 4 || /^[a-z0-9]/.test(t))) out[out.length - 1] += p.trimEnd();
    else out.push(t);
  }
  return out;
}

/** Where a cut at `at` falls inside a formula, the start of that formula (else `at`). */
function outsideMath(text: string, at: number): number {
  return mathRanges(text).find(([start, end]) => start < at && at < end)?.[0] ?? at;
}

/** Cuts an over-long sentence at commas or word boundaries into pieces of at most `max` characters (a formula stays whole where it can). */
export function chunkSentence(s: string, max = 160): string[] {
  if (s.length <= max) return [s];
  const out: string[] = [];
  let rest = s;
  while (rest.length > max) {
    const masked = maskMath(rest);
    let cut = masked.lastIndexOf(', ', max - 1);
    if (cut < max / 3) cut = masked.lastIndexOf(' ', max);
    // No separator (a long word, text without spaces such as Chinese): a hard cut, which keeps
    // the character it cuts before (the separator after a soft cut is dropped; that one was too).
    const hard = cut < max / 3;
    // Never between the halves of a surrogate pair (a title holding half of one failed the job).
    if (hard) {
      cut = cutText(rest, max).length;
      const before = outsideMath(rest, cut);
      if (before > max / 3) cut = before;
    }
    const end = cut + (rest[cut] === ',' ? 1 : 0);
    out.push(rest.slice(0, end).trim());
    rest = rest.slice(hard ? end : cut + 1).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/** Shortens to `max` characters on a word boundary, with an ellipsis (never inside a formula). */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const masked = maskMath(s);
  const cut = masked.lastIndexOf(' ', max - 1);
  const head = cut > max / 2 ? s.slice(0, cut) : cutText(s, max - 1);
  // A formula cut in half would show its source: the cut goes before it (unless it starts the text).
  const whole = head.slice(0, outsideMath(s, head.length));
  return `${(whole.trim() || head).trim()}…`;
}

const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
const LTR = /[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF]/;

/** True when the first strong character is right-to-left (Hebrew, Arabic ...). */
export function isRtl(s: string): boolean {
  for (const ch of s) {
    if (RTL.test(ch)) return true;
    if (LTR.test(ch)) return false;
  }
  return false;
}
