import type { FieldError } from './api-response.js';
import { AppError } from './app-error.js';
import { FieldErrorCode } from './error-codes.js';

/**
 * PostgreSQL stores the NUL character (U+0000) neither in `text` (22021) nor in `jsonb` (22P05),
 * so client text holding one is refused with this message before it reaches a query.
 */
export const NUL_MESSAGE = 'Text must not contain NUL characters (U+0000)';

/** How JSON writes a NUL character (JSON.stringify and every common encoder). */
export const NUL_ESCAPE = '\\u0000';

const joinKey = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);

/**
 * Where the first NUL character sits in a JSON-like value, in document order: the dotted path of
 * the string holding it (`configuration.topic`, `jobs[1].tags[0]`), or the path of the object
 * whose key holds one; '' when it is `value` itself or one of its own keys; null when there is
 * none. Walks without recursion, so no nesting depth can overflow the stack.
 */
export function findNul(value: unknown, path = ''): string | null {
  const stack: Array<{ v: unknown; path: string; keyOf?: string }> = [{ v: value, path }];
  while (stack.length) {
    const { v, path: at, keyOf } = stack.pop() as { v: unknown; path: string; keyOf?: string };
    if (keyOf !== undefined) return keyOf;
    if (typeof v === 'string') {
      if (v.includes('\0')) return at;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${at}[${i}]` });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({ v: (v as Record<string, unknown>)[keys[i]], path: joinKey(at, keys[i]) });
        // Popped before the value: a key is reported before what it holds.
        if (keys[i].includes('\0')) stack.push({ v: undefined, path: at, keyOf: at });
      }
    }
  }
  return null;
}

/** The `field_errors` entry of a NUL character in `field`. */
export function nulFieldError(field: string): FieldError {
  return { field, message: NUL_MESSAGE, code: FieldErrorCode.INVALID_VALUE };
}

/**
 * 422 VALIDATION_ERROR naming where `value` holds a NUL character (`root` names the value itself
 * when the NUL is in it or in one of its own keys), or null when it holds none.
 */
export function nulError(value: unknown, root: string, path = ''): AppError | null {
  const found = findNul(value, path);
  return found === null ? null : AppError.validation([nulFieldError(found || root)]);
}

/** The same value with every NUL character removed from its strings and keys (for text that is kept, not refused). */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\0') ? value.replace(/\0/g, '') : value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => withoutNul(v)) as T;
  // fromEntries defines own properties: a key that becomes `__proto__` stays a key.
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  return value;
}
