/**
 * A dependency's error message as `/system/health` shows it to anyone (the route is public):
 * without the addresses, URLs and quoted names drivers put in theirs (`connect ECONNREFUSED
 * 10.0.3.7:5432`, `password authentication failed for user "app"`), which tell an outsider the
 * layout of the platform. The cause stays readable; the service's own logs keep the whole text.
 */
export function publicError(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, '<url>')
    .replace(/\[[0-9a-f:.]+\](?::\d+)?/gi, '<address>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .replace(/\b(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*:\d{2,5}\b/gi, '<address>')
    .replace(/\b(?:localhost|[a-z][a-z0-9-]*):\d{2,5}\b/gi, '<address>')
    .replace(/(["'])[^"'\n]{1,200}\1/g, '$1…$1');
}

/** `value` with every `error` (and `*_error`) string in it passed through `publicError`. */
export function withPublicErrors<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withPublicErrors(v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' && (k === 'error' || k.endsWith('_error')) ? publicError(v) : withPublicErrors(v);
  return out as T;
}
