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
  return findText(value, path, (s) => (s.includes('\0') ? 'nul' : null))?.path ?? null;
}

/**
 * The first string or key (in document order, a key before what it holds) that `bad` names a kind
 * for, with its path; walks without recursion.
 */
function findText<K extends string>(value: unknown, path: string, bad: (s: string) => K | null): { path: string; kind: K } | null {
  const stack: Array<{ v: unknown; path: string; key?: K }> = [{ v: value, path }];
  while (stack.length) {
    const { v, path: at, key } = stack.pop() as { v: unknown; path: string; key?: K };
    if (key !== undefined) return { path: at, kind: key };
    if (typeof v === 'string') {
      const kind = bad(v);
      if (kind) return { path: at, kind };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${at}[${i}]` });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({ v: (v as Record<string, unknown>)[keys[i]], path: joinKey(at, keys[i]) });
        const kind = bad(keys[i]);
        // Popped before the value: a key is reported before what it holds.
        if (kind) stack.push({ v: undefined, path: at, key: kind });
      }
    }
  }
  return null;
}

/**
 * A lone half of a UTF-16 surrogate pair (`\ud800` without its partner) is not Unicode text:
 * JSON may carry one as an escape, PostgreSQL refuses it in `jsonb` (22P05) and turns it into
 * U+FFFD in `text`. Refused like a NUL character.
 */
export const SURROGATE_MESSAGE = 'Text must be well-formed Unicode (no lone surrogate such as \\ud800)';

/** How JSON writes a surrogate half: `\uD800`-`\uDFFF`, either case (a pair, too, until checked). */
export const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** What cannot be stored as text, and where: the first NUL character or lone surrogate, in document order. */
export interface UnstorableText {
  /** As `findNul` answers it: '' for the value itself or one of its own keys. */
  path: string;
  kind: 'nul' | 'surrogate';
}

/** `String.prototype.isWellFormed` (Node 20; in TypeScript's lib from es2024). */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const unstorable = (s: string): UnstorableText['kind'] | null => (s.includes('\0') ? 'nul' : wellFormed(s) ? null : 'surrogate');

/** Like `findNul`, for NUL characters and lone surrogates both (one walk). */
export function findUnstorable(value: unknown, path = ''): UnstorableText | null {
  return findText(value, path, unstorable);
}

/** The `field_errors` entry of text in `field` that cannot be stored. */
export function unstorableFieldError(field: string, kind: UnstorableText['kind']): FieldError {
  return kind === 'nul' ? nulFieldError(field) : { field, message: SURROGATE_MESSAGE, code: FieldErrorCode.INVALID_VALUE };
}

/** 422 VALIDATION_ERROR naming where `value` holds a NUL character or a lone surrogate (`root` for itself), or null. */
export function unstorableError(value: unknown, root: string, path = ''): AppError | null {
  const found = findUnstorable(value, path);
  return found === null ? null : AppError.validation([unstorableFieldError(found.path || root, found.kind)]);
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

/**
 * Profile text from the identity provider (token claims, Clerk's events): a trimmed string of at
 * most `max` characters without NUL characters (the profile is Clerk's, so it is cleaned, not
 * refused), or undefined for an empty string or anything that is not a string.
 */
export function profileText(v: unknown, max = 500): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = withoutNul(v).trim();
  return t !== '' ? t.slice(0, max) : undefined;
}

/**
 * The first key of a JSON-like value named like a member every JavaScript object inherits
 * (`toString`, `valueOf`, `hasOwnProperty`, `constructor`, `__proto__`, ...), with its path
 * (`configuration.custom_config.valueOf`), or null. class-transformer leaves such keys out of a
 * DTO without a word: an unknown field so named was ignored where every other is refused, and such
 * a key in `custom_config` was dropped from the stored job. Walks without recursion.
 */
export function findInheritedKey(value: unknown, path = ''): { path: string; key: string } | null {
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path }];
  // Each object once: a value built in code (not parsed) may share or cycle.
  const seen = new Set<object>();
  while (stack.length) {
    const { v, path: at } = stack.pop() as { v: unknown; path: string };
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${at}[${i}]` });
    } else {
      const keys = Object.keys(v);
      for (const key of keys) if (key in Object.prototype) return { path: joinKey(at, key), key };
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (v as Record<string, unknown>)[keys[i]], path: joinKey(at, keys[i]) });
    }
  }
  return null;
}

/** 422 naming the first key `findInheritedKey` finds in `value`, or null. */
export function inheritedKeyError(value: unknown): AppError | null {
  const found = findInheritedKey(value);
  if (!found) return null;
  return AppError.validation([{ field: found.path, message: `"${found.key}" is not accepted as a key: every JavaScript object has a member of that name`, code: FieldErrorCode.INVALID_VALUE }]);
}
