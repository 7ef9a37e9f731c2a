import { describe, expect, it } from '@jest/globals';
import { AppError } from './app-error.js';
import { findInheritedKey, findNul, findUnstorable, inheritedKeyError, NUL_ESCAPE, NUL_MESSAGE, nulError, SURROGATE_ESCAPE, SURROGATE_MESSAGE, unstorableError, withoutNul } from './nul.js';

describe('findNul', () => {
  it.each<[unknown, string | null]>([
    [{ title: 'plain', tags: ['a', 'b'], n: 1, ok: true, none: null }, null],
    ['a\0b', ''],
    [{ title: 'a\0' }, 'title'],
    [{ configuration: { topic: 'x', custom_config: { notes: ['ok', 'n\0'] } } }, 'configuration.custom_config.notes[1]'],
    [{ jobs: [{ configuration: {} }, { configuration: { context: '\0' } }] }, 'jobs[1].configuration.context'],
    [{ 'k\0': 1 }, ''],
    [{ configuration: { custom_config: { 'k\0': 'v' } } }, 'configuration.custom_config'],
    [[['deep', ['\0']]], '[0][1][0]'],
    // Document order: the first one is named.
    [{ a: { b: 'x\0' }, c: 'y\0' }, 'a.b'],
    [{ a: { 'b\0': 1, c: 'x\0' } }, 'a'],
    [{ a: ['x', { 'k\0': 1 }], b: '\0' }, 'a[1]'],
    // The escape's text is not the character.
    [{ t: NUL_ESCAPE, u: '\\\\u0000' }, null],
  ])('%j → %j', (value, path) => {
    expect(findNul(value)).toBe(path);
  });

  it('starts from a given path', () => {
    expect(findNul({ topic: '\0' }, 'configuration')).toBe('configuration.topic');
    expect(findNul('\0', 'configuration')).toBe('configuration');
  });

  it('walks nesting far deeper than the call stack allows', () => {
    let deep: unknown = ['\0'];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findNul(deep)).toMatch(/^(\[0\]){200000}\[0\]$/);
  });
});

describe('nulError', () => {
  it('is a 422 VALIDATION_ERROR naming the field, or null', () => {
    expect(nulError({ title: 'fine' }, 'body')).toBeNull();
    const err = nulError({ title: 'a\0' }, 'body');
    expect(err).toBeInstanceOf(AppError);
    expect(err?.toWire()).toEqual({
      code: 'VALIDATION_ERROR',
      status: 422,
      message: 'The request contains invalid data',
      field_errors: [{ field: 'title', code: 'INVALID_VALUE', message: NUL_MESSAGE }],
    });
    expect(nulError({ 'x\0': 1 }, 'body')?.field_errors?.[0].field).toBe('body');
  });
});

describe('withoutNul', () => {
  it('removes NUL characters from strings and keys, keeping everything else', () => {
    expect(withoutNul({ a: 'x\0y', 'k\0': ['\0z', 1, null, true], n: { deep: '\0\0' } })).toEqual({ a: 'xy', k: ['z', 1, null, true], n: { deep: '' } });
  });

  it('keeps a key that becomes __proto__ a plain key', () => {
    const out = withoutNul(JSON.parse('{"__proto\\u0000__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('findUnstorable and unstorableError', () => {
  it.each<[unknown, { path: string; kind: string } | null]>([
    [{ topic: 'Pythagoras 📐', notes: ['a', 'b'] }, null],
    [{ topic: 'lone \ud800 high' }, { path: 'topic', kind: 'surrogate' }],
    [{ notes: ['ok', 'low \udc00 alone'] }, { path: 'notes[1]', kind: 'surrogate' }],
    [{ a: { 'k\udbff': 1 } }, { path: 'a', kind: 'surrogate' }],
    [{ a: 'x\0', b: '\ud800' }, { path: 'a', kind: 'nul' }],
    [{ a: '\ud800', b: 'x\0' }, { path: 'a', kind: 'surrogate' }],
    ['\ud83d', { path: '', kind: 'surrogate' }],
  ])('%j → %j', (value, expected) => {
    expect(findUnstorable(value)).toEqual(expected);
  });

  it('names the field, with the message of what was found', () => {
    expect(unstorableError({ configuration: { topic: 'x\udc00' } }, 'body')?.field_errors).toEqual([{ field: 'configuration.topic', code: 'INVALID_VALUE', message: SURROGATE_MESSAGE }]);
    expect(unstorableError('\0', 'body')?.field_errors).toEqual([{ field: 'body', code: 'INVALID_VALUE', message: NUL_MESSAGE }]);
    expect(unstorableError({ ok: 'Pythagoras \ud83d\udcd0' }, 'body')).toBeNull();
    expect(SURROGATE_ESCAPE.test(JSON.stringify({ a: '\ud800' }))).toBe(true);
    expect(SURROGATE_ESCAPE.test(JSON.stringify({ a: '📐 \u00e9' }))).toBe(false);
  });
});

describe('findInheritedKey and inheritedKeyError', () => {
  it.each<[unknown, string | null]>([
    [{ topic: 'toString', tags: ['valueOf'], n: 1, none: null }, null],
    [{ toString: 'x' }, 'toString'],
    [{ configuration: { topic: 'a', custom_config: { notes: [{ ok: 1 }, { valueOf: 2 }] } } }, 'configuration.custom_config.notes[1].valueOf'],
    [JSON.parse('{"a": {"__proto__": {"x": 1}}}'), 'a.__proto__'],
    [{ jobs: [{ configuration: { hasOwnProperty: true } }] }, 'jobs[0].configuration.hasOwnProperty'],
    [{ constructor: 1 }, 'constructor'],
    ['toString', null],
  ])('%j → %s', (value, path) => {
    expect(findInheritedKey(value)?.path ?? null).toBe(path);
  });

  it('visits a shared or cyclic object once (values built in code, not parsed)', () => {
    const shared: Record<string, unknown> = { ok: 1 };
    let wide: Record<string, unknown> = shared;
    for (let i = 0; i < 40; i++) wide = { a: wide, b: wide };
    expect(findInheritedKey(wide)).toBeNull();
    const cyclic: Record<string, unknown> = { x: 1 };
    cyclic.self = { back: cyclic, valueOf: 2 };
    expect(findInheritedKey(cyclic)).toEqual({ path: 'self.valueOf', key: 'valueOf' });
  });

  it('is a 422 naming the key', () => {
    expect(inheritedKeyError({ page: '1' })).toBeNull();
    const err = inheritedKeyError({ custom_config: { valueOf: 1 } });
    expect(err).toBeInstanceOf(AppError);
    expect(err?.toWire()).toMatchObject({ status: 422, field_errors: [{ field: 'custom_config.valueOf', code: 'INVALID_VALUE' }] });
  });
});
