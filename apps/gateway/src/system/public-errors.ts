import type { ComponentHealth, SystemHealth } from '@vgp/contracts';

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

/** Text a detail may show anyone: a status, an error (without addresses) or a time. */
const PUBLIC_TEXT = /^(status|error|last_check|.+_error|.+_at)$/;

/**
 * What the public `/system/health` shows of a component's details: numbers, booleans, and text
 * only for statuses, errors (through `publicError`) and times. Server addresses and names, instance
 * ids (host names and pids), versions, the token issuer and the like tell an outsider the layout of
 * the platform; `/system/health` shows them to callers who may read the system metrics.
 */
export function publicDetails(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => publicDetails(v, key));
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return PUBLIC_TEXT.test(key) ? (key === 'error' || key.endsWith('_error') ? publicError(value) : value) : undefined;
  if (typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const shown = publicDetails(v, k);
    if (shown !== undefined) out[k] = shown;
  }
  return out;
}

/** `SystemHealth` as anyone sees it: every component through `publicDetails`. */
export function publicHealth(h: SystemHealth): SystemHealth {
  const components: SystemHealth['components'] = {};
  for (const [name, c] of Object.entries(h.components)) components[name] = publicDetails(c) as ComponentHealth;
  return { ...h, components };
}
