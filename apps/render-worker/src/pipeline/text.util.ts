import { cutText } from '@vgp/contracts';

/** Text helpers shared by the stages: input is hostile until shown otherwise. */

// C0/C1 controls except tab/newline, lone surrogates, bidi overrides that could hide text order.
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/g;

/** Removes control characters and collapses whitespace. */
export function cleanText(s: string): string {
  return s.replace(CONTROL, '').replace(/\s+/g, ' ').trim();
}

/** Drops markup tags (`<b>`, `<script>…`) so they are neither spoken nor shown as code. */
export function stripMarkup(s: string): string {
  return cleanText(
    s
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<\/?[a-z][^<>]*>/gi, ' ')
      .replace(/&(lt|gt|amp|quot|apos|nbsp);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' })[e] ?? ' '),
  );
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Splits prose into sentences (keeps abbreviations like "e.g." mostly intact). */
export function splitSentences(s: string): string[] {
  const text = cleanText(s);
  if (!text) return [];
  const parts = text.match(/[^.!?。！？]+(?:[.!?。！？]+|$)/g) ?? [text];
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

/** Cuts an over-long sentence at commas or word boundaries into pieces of at most `max` characters. */
export function chunkSentence(s: string, max = 160): string[] {
  if (s.length <= max) return [s];
  const out: string[] = [];
  let rest = s;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(', ', max - 1);
    if (cut < max / 3) cut = rest.lastIndexOf(' ', max);
    // No separator (a long word, text without spaces such as Chinese): a hard cut, which keeps
    // the character it cuts before (the separator after a soft cut is dropped; that one was too).
    const hard = cut < max / 3;
    // Never between the halves of a surrogate pair (a title holding half of one failed the job).
    if (hard) cut = cutText(rest, max).length;
    const end = cut + (rest[cut] === ',' ? 1 : 0);
    out.push(rest.slice(0, end).trim());
    rest = rest.slice(hard ? end : cut + 1).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/** Shortens to `max` characters on a word boundary, with an ellipsis. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.lastIndexOf(' ', max - 1);
  return `${(cut > max / 2 ? s.slice(0, cut) : cutText(s, max - 1)).trim()}…`;
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
