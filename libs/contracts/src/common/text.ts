/**
 * `text` cut to at most `max` UTF-16 units, never between the two halves of a surrogate pair (an
 * emoji, a mathematical letter): half of one is no Unicode text, and PostgreSQL's jsonb and the
 * services refuse it.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
