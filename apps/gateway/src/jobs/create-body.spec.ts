import { describe, expect, it } from '@jest/globals';
import { AppError, CONTEXT_MAX, CreateVideoJobDto, JobConfigurationDto, JobPriority, TOPIC_MAX, VideoFormat, VideoQuality } from '@vgp/contracts';
import { getMetadataStorage } from 'class-validator';
import { isDeepStrictEqual } from 'node:util';
import { validateBody } from '../http/validation.pipe.js';
import { createJobBody, fastAccept } from './create-body.js';

/*
 * `createJobBody` against the real `validateBody(CreateVideoJobDto, ...)` (class-transformer and
 * class-validator, nothing mocked): same DTO (classes, own keys and their order, values, no object
 * shared with the body) or the same AppError, for hand-picked bodies and seeded random mutations.
 */

type Body = Record<string, any>;

const PRIORITIES = Object.values(JobPriority) as string[];
const QUALITIES = Object.values(VideoQuality) as string[];
const FORMATS = Object.values(VideoFormat) as string[];
const CONFIG_KEYS = ['topic', 'context', 'model', 'quality', 'use_rag', 'custom_config', 'template_id', 'style_preferences', 'enable_subtitles', 'enable_thumbnails', 'output_format'];
const OPTIONAL_KEYS = CONFIG_KEYS.slice(2);

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

const PROTOTYPES = new Map<object | null, string>([
  [CreateVideoJobDto.prototype, 'CreateVideoJobDto'],
  [JobConfigurationDto.prototype, 'JobConfigurationDto'],
  [Object.prototype, 'Object'],
  [Array.prototype, 'Array'],
  [null, 'null'],
]);

/** Everything observable of a value: prototypes, own keys in order with their descriptors, values (-0, NaN, undefined included). */
function shape(value: unknown, path = new Set<object>()): unknown {
  if (typeof value === 'number') return Object.is(value, -0) ? ['number', '-0'] : ['number', value];
  if (typeof value !== 'object' && typeof value !== 'function') return [typeof value, typeof value === 'symbol' || typeof value === 'bigint' ? String(value) : value];
  if (value === null) return null;
  // Node keeps async-hook ids on promises: a promise is only a promise here.
  if (value instanceof Promise) return '<promise>';
  if (path.has(value)) return '<cycle>';
  path.add(value);
  const proto: unknown = Object.getPrototypeOf(value);
  const out = {
    proto: PROTOTYPES.get(proto as object | null) ?? `other ${(proto as { constructor?: { name?: string } }).constructor?.name}`,
    boxed: value instanceof Boolean || value instanceof String || value instanceof Number || value instanceof Date ? value.valueOf() : null,
    props: Reflect.ownKeys(value).map((key) => {
      const d = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
      return [String(key), d.enumerable, d.writable, d.configurable, 'value' in d ? shape(d.value, path) : 'accessor'];
    }),
  };
  path.delete(value);
  return out;
}

/** Every object reachable from a value through own data properties. */
function objectsOf(value: unknown, into = new Set<object>()): Set<object> {
  if ((typeof value === 'object' || typeof value === 'function') && value !== null && !into.has(value)) {
    into.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d && 'value' in d) objectsOf(d.value, into);
    }
  }
  return into;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    return `<throws ${(e as Error).message}>`;
  }
}

function errorShape(e: unknown): unknown {
  if (e instanceof AppError) return { kind: 'AppError', code: e.code, status: e.status, message: e.message, details: e.details, field_errors: e.field_errors };
  return { kind: (e as { constructor?: { name?: string } } | null)?.constructor?.name, message: e instanceof Error ? e.message : String(e) };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function run(fn: (body: unknown) => Promise<unknown>, body: unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await fn(body) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** How a result differs from validateBody's: class, JSON, own keys, full shape, objects shared with the body. */
function resultDifferences(what: string, got: unknown, want: unknown, body: unknown): string[] {
  const problems: string[] = [];
  const g = got as CreateVideoJobDto;
  const w = want as CreateVideoJobDto;
  if (g?.constructor !== w?.constructor) problems.push(`${what}: constructor ${g?.constructor?.name} instead of ${w?.constructor?.name}`);
  if (g?.configuration?.constructor !== w?.configuration?.constructor) problems.push(`${what}: configuration constructor differs`);
  if (json(got) !== json(want)) problems.push(`${what}: JSON ${json(got).slice(0, 300)} instead of ${json(want).slice(0, 300)}`);
  if (!isDeepStrictEqual(Reflect.ownKeys(g), Reflect.ownKeys(w))) problems.push(`${what}: own keys differ`);
  if (g?.configuration && w?.configuration && !isDeepStrictEqual(Reflect.ownKeys(g.configuration), Reflect.ownKeys(w.configuration))) {
    problems.push(`${what}: configuration keys ${Reflect.ownKeys(g.configuration).map(String)} instead of ${Reflect.ownKeys(w.configuration).map(String)}`);
  }
  if (!isDeepStrictEqual(shape(got), shape(want))) problems.push(`${what}: shape differs`);
  const inputs = objectsOf(body);
  const shared = (result: unknown) => [...objectsOf(result)].filter((o) => inputs.has(o)).length;
  if (shared(got) !== shared(want)) problems.push(`${what}: shares ${shared(got)} objects with the body instead of ${shared(want)}`);
  return problems;
}

interface Verdict {
  valid: boolean;
  fast: boolean;
  problems: string[];
}

/** Runs validateBody, createJobBody and fastAccept on one body and lists every disagreement. */
async function verdict(body: unknown): Promise<Verdict> {
  const before = shape(body);
  const slow = await run((b) => validateBody(CreateVideoJobDto, b), body);
  const viaCreate = await run(createJobBody, body);
  const accepted = fastAccept(body);
  const problems: string[] = [];
  if (!isDeepStrictEqual(shape(body), before)) problems.push('the body was changed');
  if (slow.ok && viaCreate.ok) {
    problems.push(...resultDifferences('createJobBody', viaCreate.value, slow.value, body));
  } else if (!slow.ok && !viaCreate.ok) {
    if (!isDeepStrictEqual(errorShape(viaCreate.error), errorShape(slow.error))) {
      problems.push(`error ${json(errorShape(viaCreate.error))} instead of ${json(errorShape(slow.error))}`);
    }
  } else {
    problems.push(`validateBody ${slow.ok ? 'accepts' : `rejects (${json(errorShape(slow.error))})`} but createJobBody ${viaCreate.ok ? 'accepts' : 'rejects'}`);
  }
  if (accepted !== undefined) {
    if (!slow.ok) problems.push(`fastAccept accepts a body validateBody rejects with ${json(errorShape(slow.error))}`);
    else problems.push(...resultDifferences('fastAccept', accepted, slow.value, body));
    if (fastAccept(body) === accepted) problems.push('fastAccept returned the same object twice');
  }
  return { valid: slow.ok, fast: accepted !== undefined, problems };
}

interface Case {
  name: string;
  body: unknown;
}

function preview(value: unknown): string {
  const s = json(value);
  return s === undefined ? String(value) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Each case's verdict; the report lists the failing cases with what went wrong. */
async function judge(cases: Case[], requirement: (v: Verdict) => string | undefined) {
  const failures: Array<{ name: string; body: string; problems: string[] }> = [];
  const verdicts: Verdict[] = [];
  for (const c of cases) {
    const v = await verdict(c.body);
    verdicts.push(v);
    const unmet = requirement(v);
    const problems = unmet ? [unmet, ...v.problems] : v.problems;
    if (problems.length) failures.push({ name: c.name, body: preview(c.body), problems });
  }
  return { failures, verdicts };
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

const TOPIC = 'Pythagorean theorem';
const CONTEXT = 'Explain it for 8th graders with a visual proof';

/** An own, enumerable, writable key as JSON.parse makes it, whatever its name (`__proto__` included). */
function put<T extends object>(target: T, key: string, value: unknown): T {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

const cfg = (extra: Body = {}): Body => ({ topic: TOPIC, context: CONTEXT, ...extra });
const body = (extra: Body = {}, top: Body = {}): Body => ({ configuration: cfg(extra), ...top });
const withKey = (key: string, value: unknown, where: 'top' | 'config' = 'config'): Body => {
  const b = body();
  put(where === 'top' ? b : b.configuration, key, value);
  return b;
};
const fullConfig = (): Body => ({
  topic: TOPIC,
  context: CONTEXT,
  model: 'builtin',
  quality: 'high',
  use_rag: true,
  custom_config: { duration: 60, voice: { lang: 'en', speed: 1.25 }, scenes: [1, 'two', null, true, { three: 3 }], empty: {}, none: [] },
  template_id: 'tpl-1',
  style_preferences: { theme: 'dark', font: 'Inter' },
  enable_subtitles: false,
  enable_thumbnails: false,
  output_format: 'webm',
});
const full = (): Body => ({ configuration: fullConfig(), priority: 'urgent' });
const styles = (keys: number, valueLength = 5, value = 'v'): Record<string, string> =>
  Object.fromEntries(Array.from({ length: keys }, (_, i) => [`key_${i}`, value.repeat(valueLength).slice(0, valueLength)]));
/** A `custom_config` of exactly `bytes` bytes as JSON, in characters of one size. */
const sized = (bytes: number, char = 'x'): Body => ({ s: char.repeat((bytes - '{"s":""}'.length) / Buffer.byteLength(char)) });
const nest = (depth: number): Body => {
  let v: Body = { leaf: 'x' };
  for (let i = 0; i < depth; i++) v = { [`level${i}`]: v };
  return v;
};
const reorder = (obj: Body, keys: string[]): Body => {
  const out: Body = {};
  for (const key of keys) put(out, key, obj[key]);
  return out;
};

/** Strings class-validator counts one for one (no surrogates, no U+FE0E/U+FE0F). */
const PLAIN_TEXTS = [
  '勾股定理 — 直角三角形',
  'Теорема Пифагора',
  'مبرهنة فيثاغورس',
  'שָׁלוֹם עולם',
  'e\u0301cole a\u0308',
  '\u0000 control \t tab \n newline \r',
  '\u2764 \u2603 \u263A',
  '\uFE0D \uFE10 \uFEFF \uFFFD \u200D \u200B',
  '  spaces around  ',
  ' ',
  '"quotes" \\ backslash </script>',
];

/** Strings holding characters validator.js's isLength counts differently. */
const ODD_TEXTS = [
  '😀',
  'Pythagoras 📐',
  'a\uFE0F',
  '\uFE0F',
  '\uFE0E',
  '❤️',
  '👨‍👩‍👧',
  '🇺🇳',
  '\uD800',
  '\uDC00x',
  'x\uDBFF',
  '\uDFFF\uD800',
];

function commonValid(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, b: unknown) => cases.push({ name, body: b });
  add('minimal', body());
  add('all fields', full());
  for (const key of OPTIONAL_KEYS) {
    const b = full();
    delete b.configuration[key];
    add(`all fields but ${key}`, b);
    add(`only ${key}`, body({ [key]: fullConfig()[key] }));
  }
  {
    const b = full();
    delete b.priority;
    add('all fields but priority', b);
  }
  for (const q of QUALITIES) for (const p of PRIORITIES) add(`quality ${q}, priority ${p}`, body({ quality: q }, { priority: p }));
  for (const f of FORMATS) for (const p of PRIORITIES) add(`format ${f}, priority ${p}`, { ...full(), configuration: { ...fullConfig(), output_format: f }, priority: p });
  for (const a of [true, false]) for (const b of [true, false]) for (const c of [true, false]) add(`booleans ${a} ${b} ${c}`, body({ use_rag: a, enable_subtitles: b, enable_thumbnails: c }));
  const lengths: Array<[string, number[]]> = [
    ['topic', [1, 2, TOPIC_MAX - 1, TOPIC_MAX]],
    ['context', [1, 2, CONTEXT_MAX - 1, CONTEXT_MAX]],
    ['model', [1, 99, 100]],
    ['template_id', [1, 99, 100]],
  ];
  for (const [field, lens] of lengths) {
    for (const n of lens) for (const ch of ['x', '界', 'é', '\u00A0', '\u2764']) add(`${field} of ${n} × ${JSON.stringify(ch)}`, body({ [field]: ch.repeat(n) }));
  }
  for (const text of PLAIN_TEXTS) {
    for (const field of ['topic', 'context', 'model', 'template_id']) add(`${field} ${JSON.stringify(text)}`, body({ [field]: text }));
    add(`style value ${JSON.stringify(text)}`, body({ style_preferences: { [text]: text } }));
  }
  for (const text of ODD_TEXTS) {
    // Short values: IsStringRecord measures only those over 200 UTF-16 units with isLength, IsObject none.
    add(`style value ${JSON.stringify(text)}`, body({ style_preferences: { theme: text, [text]: 'key' } }));
    add(`custom_config string ${JSON.stringify(text)}`, body({ custom_config: { text, [text]: [text] } }));
  }
  add('style 😀 × 100 (200 UTF-16 units)', body({ style_preferences: { emoji: '😀'.repeat(100) } }));
  add('style {}', body({ style_preferences: {} }));
  for (const n of [1, 2, 49, 50]) {
    add(`style ${n} keys of 200`, body({ style_preferences: styles(n, 200) }));
    add(`style ${n} keys of 0`, body({ style_preferences: styles(n, 0) }));
    add(`style ${n} keys of 199 CJK`, body({ style_preferences: styles(n, 199, '界') }));
  }
  add('style empty key', body({ style_preferences: { '': 'x' } }));
  add('style numeric keys', body({ style_preferences: { b: '1', '10': 'ten', '2': 'two', a: '0' } }));
  add('style then key', body({ style_preferences: { then: 'later' } }));
  add('custom_config {}', body({ custom_config: {} }));
  add('custom_config 5 levels', body({ custom_config: nest(5) }));
  add('custom_config 30 levels', body({ custom_config: nest(30) }));
  add('custom_config arrays', body({ custom_config: { a: [[[]]], b: [[1, [2, [3, { c: [null] }]]]], e: [] } }));
  add('custom_config numbers', body({ custom_config: JSON.parse('{"zero":0,"neg0":-0,"big":1e308,"tiny":5e-324,"neg":-1.5,"int":9007199254740993}') }));
  add('custom_config -0 in array', body({ custom_config: JSON.parse('{"a":[-0,0]}') }));
  add('custom_config null / booleans', body({ custom_config: { n: null, t: true, f: false, s: '' } }));
  add('custom_config numeric keys', body({ custom_config: { b: 1, '10': 2, '2': 3, a: { '1': 'x', z: 'y', '0': 'w' } } }));
  add('custom_config then key', body({ custom_config: { then: 'x', nested: { then: { then: 1 } } } }));
  add('custom_config many keys', body({ custom_config: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i % 2 ? i : { i }])) }));
  add('custom_config long array', body({ custom_config: { list: Array.from({ length: 1000 }, (_, i) => i) } }));
  // 64 KiB as JSON, exactly (in bytes of UTF-8, not characters); one byte over is among the invalid.
  add('custom_config of 64 KiB', body({ custom_config: sized(65536) }));
  add('custom_config of 64 KiB in 2-byte characters', body({ custom_config: sized(65536, 'é') }));

  add('priority first', reorder(full(), ['priority', 'configuration']));
  add('configuration keys reversed', { configuration: reorder(fullConfig(), [...CONFIG_KEYS].reverse()), priority: 'low' });
  add('configuration keys rotated', { configuration: reorder(fullConfig(), [...CONFIG_KEYS.slice(4), ...CONFIG_KEYS.slice(0, 4)]) });
  add('defaults given explicitly', body({ quality: 'medium', use_rag: false, enable_subtitles: true, enable_thumbnails: true, output_format: 'mp4' }, { priority: 'normal' }));
  add('defaults given explicitly, reversed', { priority: 'normal', configuration: { output_format: 'mp4', enable_thumbnails: true, enable_subtitles: true, use_rag: false, quality: 'medium', context: CONTEXT, topic: TOPIC } });
  for (const text of [
    '{"configuration":{"topic":"t","context":"c"}}',
    '{"priority":"high","configuration":{"context":"c","topic":"t","custom_config":{"a":{"b":[1,{"c":null}]}}}}',
    JSON.stringify(full()),
    JSON.stringify({ configuration: { topic: '\u2028\u2029', context: '\\u0000' } }),
  ]) {
    add(`JSON.parse ${text.slice(0, 60)}`, JSON.parse(text));
  }
  return cases;
}

/** Bodies fastAccept has doubts about (valid or not): class-validator decides. */
function unusual(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, b: unknown) => cases.push({ name, body: b });
  for (const text of ODD_TEXTS) for (const field of ['topic', 'context', 'model', 'template_id']) add(`${field} ${JSON.stringify(text)}`, body({ [field]: text }));
  add('topic 😀 × 500', body({ topic: '😀'.repeat(TOPIC_MAX) }));
  add('topic 😀 × 501', body({ topic: '😀'.repeat(TOPIC_MAX + 1) }));
  add('topic 499 + 😀', body({ topic: 'x'.repeat(TOPIC_MAX - 1) + '😀' }));
  add('topic 500 + 😀', body({ topic: 'x'.repeat(TOPIC_MAX) + '😀' }));
  add('topic 500 + FE0F', body({ topic: 'x'.repeat(TOPIC_MAX) + '\uFE0F' }));
  add('topic 501 + FE0F', body({ topic: 'x'.repeat(TOPIC_MAX + 1) + '\uFE0F' }));
  add('context ❤️ × 1000', body({ context: '❤️'.repeat(CONTEXT_MAX / 2) }));
  add('context ❤️ × 1001', body({ context: '❤️'.repeat(CONTEXT_MAX / 2 + 1) }));
  add('model 😀 × 100', body({ model: '😀'.repeat(100) }));
  add('model 😀 × 101', body({ model: '😀'.repeat(101) }));
  add('template_id lone surrogates × 100', body({ template_id: '\uD800'.repeat(100) }));
  add('template_id lone surrogates × 101', body({ template_id: '\uD800'.repeat(101) }));
  // style_preferences values count characters as Length does: beyond 200 UTF-16 units they are class-validator's.
  add('style 😀 × 200', body({ style_preferences: { a: '😀'.repeat(200) } }));
  add('style 😀 × 201', body({ style_preferences: { a: '😀'.repeat(201) } }));
  add('style 199 + ❤️', body({ style_preferences: { a: 'x'.repeat(199) + '❤️' } }));
  for (const key of OPTIONAL_KEYS) {
    add(`${key} null`, body({ [key]: null }));
    add(`${key} undefined`, body({ [key]: undefined }));
  }
  add('priority null', body({}, { priority: null }));
  add('priority undefined', body({}, { priority: undefined }));
  add('topic undefined', body({ topic: undefined }));
  add('configuration undefined', { configuration: undefined });
  add('unknown key undefined', withKey('extra', undefined));
  for (const key of ['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__', 'isPrototypeOf', '__defineGetter__']) {
    add(`top-level ${key}`, withKey(key, 'x', 'top'));
    add(`top-level ${key} object`, withKey(key, { polluted: 1 }, 'top'));
    add(`configuration ${key}`, withKey(key, 'x'));
    add(`custom_config ${key}`, body({ custom_config: put({ a: 1 }, key, 'x') }));
    add(`custom_config nested ${key}`, body({ custom_config: { a: put({}, key, { polluted: 1 }) } }));
    add(`style ${key} string`, body({ style_preferences: put({ theme: 'dark' }, key, 'x') }));
    add(`style ${key} number`, body({ style_preferences: put({}, key, 1) }));
  }
  add('JSON.parse __proto__ in custom_config', JSON.parse('{"configuration":{"topic":"t","context":"c","custom_config":{"__proto__":{"x":1},"y":2}}}'));
  add('JSON.parse __proto__ at top', JSON.parse('{"configuration":{"topic":"t","context":"c"},"__proto__":{"priority":"low"}}'));
  add('null-prototype body', Object.assign(Object.create(null), body()));
  add('null-prototype configuration', { configuration: Object.assign(Object.create(null), cfg()) });
  add('null-prototype custom_config', body({ custom_config: Object.assign(Object.create(null), { a: 1 }) }));
  add('null-prototype style', body({ style_preferences: Object.assign(Object.create(null), { a: 'b' }) }));
  add('inherited configuration', Object.create(body()));
  add('inherited extra key', Object.assign(Object.create({ extra: 1 }), body()));
  add('class instance body', Object.assign(new (class Payload {})(), body()));
  add('array with Object.prototype', Object.setPrototypeOf([body()], Object.prototype));
  add('topic String object', body({ topic: new String(TOPIC) }));
  add('quality String object', body({ quality: new String('low') }));
  add('use_rag Boolean object', body({ use_rag: new Boolean(true) }));
  add('custom_config Number object', body({ custom_config: { n: new Number(1) } }));
  add('custom_config Date', body({ custom_config: { at: new Date(0) } }));
  add('custom_config is a Date', body({ custom_config: new Date(0) }));
  add('custom_config Map', body({ custom_config: { m: new Map([['a', 1]]) } }));
  add('custom_config is a Map', body({ custom_config: new Map([['a', 1]]) }));
  add('custom_config Set', body({ custom_config: { s: new Set([1]) } }));
  add('custom_config function', body({ custom_config: { f: () => 1 } }));
  add('custom_config is a function', body({ custom_config: () => 1 }));
  add('custom_config symbol', body({ custom_config: { s: Symbol('s') } }));
  add('custom_config bigint', body({ custom_config: { b: 1n } }));
  add('custom_config NaN', body({ custom_config: { n: NaN } }));
  add('custom_config Infinity', body({ custom_config: { n: -Infinity } }));
  add('custom_config undefined value', body({ custom_config: { u: undefined } }));
  add('custom_config hole', body({ custom_config: { a: [1, , 3] } })); // eslint-disable-line no-sparse-arrays
  add('custom_config undefined in array', body({ custom_config: { a: [1, undefined] } }));
  add('custom_config thenable', body({ custom_config: { p: { then: () => undefined } } }));
  add('custom_config promise', body({ custom_config: { p: Promise.resolve(1) } }));
  add('custom_config 40 levels', body({ custom_config: nest(40) }));
  add('custom_config 40 levels of arrays', body({ custom_config: { a: JSON.parse('['.repeat(40) + ']'.repeat(40)) } }));
  const cyclic: Body = { a: 1 };
  cyclic.self = cyclic;
  add('custom_config cyclic', body({ custom_config: cyclic }));
  add('style Boolean value', body({ style_preferences: { a: new String('x') } }));
  return cases;
}

/** Bodies whose verdict is class-validator's alone (fastAccept may or may not take them). */
function edges(): Case[] {
  const b1 = body();
  Object.defineProperty(b1, 'extra', { value: 1, enumerable: false });
  const b2 = body();
  Object.defineProperty(b2.configuration, 'extra', { value: 1, enumerable: false });
  const b3 = body();
  (b3 as Record<symbol, unknown>)[Symbol('extra')] = 1;
  const b4 = body();
  (b4.configuration as Record<symbol, unknown>)[Symbol('extra')] = 1;
  return [
    { name: 'non-enumerable unknown key at top', body: b1 },
    { name: 'non-enumerable unknown key in configuration', body: b2 },
    { name: 'symbol key at top', body: b3 },
    { name: 'symbol key in configuration', body: b4 },
    { name: 'frozen body', body: Object.freeze({ configuration: Object.freeze(cfg({ custom_config: Object.freeze({ a: Object.freeze([1]) }) })) }) },
    { name: 'getter configuration', body: Object.defineProperty({}, 'configuration', { get: () => cfg(), enumerable: true }) },
    { name: 'getter topic', body: { configuration: Object.defineProperty({ context: CONTEXT }, 'topic', { get: () => TOPIC, enumerable: true }) } },
    { name: 'getter in style_preferences', body: body({ style_preferences: Object.defineProperty({}, 'a', { get: () => 'x', enumerable: true }) }) },
    { name: 'non-enumerable topic', body: { configuration: Object.defineProperty({ context: CONTEXT }, 'topic', { value: TOPIC, enumerable: false }) } },
  ];
}

const WRONG_VALUES: Array<[string, () => unknown]> = [
  ['0', () => 0],
  ['1', () => 1],
  ['1.5', () => 1.5],
  ['true', () => true],
  ['false', () => false],
  ['[]', () => []],
  ['["x"]', () => ['x']],
  ['{}', () => ({})],
  ['{a:"b"}', () => ({ a: 'b' })],
];

function invalid(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, b: unknown) => cases.push({ name, body: b });
  add('custom_config over 64 KiB', body({ custom_config: sized(65537) }));
  add('custom_config over 64 KiB in 2-byte characters', body({ custom_config: sized(65538, 'é') }));
  const nonObjects: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['empty string', ''],
    ['string', 'configuration'],
    ['JSON text', JSON.stringify(body())],
    ['0', 0],
    ['42', 42],
    ['NaN', NaN],
    ['true', true],
    ['false', false],
    ['[]', []],
    ['[body]', [body()]],
    ['symbol', Symbol('body')],
    ['function', () => body()],
  ];
  for (const [name, value] of nonObjects) add(`body ${name}`, value);
  add('{}', {});
  add('priority only', { priority: 'high' });
  for (const [name, value] of [...nonObjects.filter(([n]) => n !== 'undefined'), ['{}', {}], ['[cfg]', [cfg()]]] as Array<[string, unknown]>) add(`configuration ${name}`, { configuration: value });
  add('topic only', { configuration: { topic: TOPIC } });
  add('context only', { configuration: { context: CONTEXT } });
  for (const field of ['topic', 'context', 'model', 'template_id']) {
    for (const [name, make] of WRONG_VALUES) add(`${field} ${name}`, body({ [field]: make() }));
    add(`${field} empty`, body({ [field]: '' }));
  }
  add('topic null', body({ topic: null }));
  add('context null', body({ context: null }));
  add(`topic of ${TOPIC_MAX + 1}`, body({ topic: 'x'.repeat(TOPIC_MAX + 1) }));
  add(`topic of ${TOPIC_MAX + 1} CJK`, body({ topic: '界'.repeat(TOPIC_MAX + 1) }));
  add(`context of ${CONTEXT_MAX + 1}`, body({ context: 'x'.repeat(CONTEXT_MAX + 1) }));
  add('model of 101', body({ model: 'x'.repeat(101) }));
  add('template_id of 101', body({ template_id: 'x'.repeat(101) }));
  add('topic and context too long', body({ topic: 'x'.repeat(TOPIC_MAX + 1), context: 'x'.repeat(CONTEXT_MAX + 1) }));
  const enums: Array<[string, string[], 'config' | 'top']> = [
    ['quality', QUALITIES, 'config'],
    ['output_format', FORMATS, 'config'],
    ['priority', PRIORITIES, 'top'],
  ];
  for (const [field, values, where] of enums) {
    const wrong = [...values.map((v) => v.toUpperCase()), ` ${values[0]}`, `${values[0]} `, 'x', '', 'mkv', 'critical', 'MEDIUM'];
    for (const w of wrong) add(`${field} ${JSON.stringify(w)}`, withKey(field, w, where));
    for (const [name, make] of WRONG_VALUES) add(`${field} ${name}`, withKey(field, make(), where));
    add(`${field} [value]`, withKey(field, [values[0]], where));
  }
  for (const field of ['use_rag', 'enable_subtitles', 'enable_thumbnails']) {
    for (const w of ['true', 'false', '', 'yes', 0, 1, -1, [], [true], {}, { value: true }]) add(`${field} ${JSON.stringify(w)}`, body({ [field]: w }));
  }
  for (const w of [[], [1], ['a', 'b'], 'x', '', 0, 1, true, false]) add(`custom_config ${JSON.stringify(w)}`, body({ custom_config: w }));
  for (const w of [[], ['x'], 'x', '', 0, 1, true, false]) add(`style ${JSON.stringify(w)}`, body({ style_preferences: w }));
  add('style 51 keys', body({ style_preferences: styles(51, 1) }));
  add('style 51 empty keys', body({ style_preferences: styles(51, 0) }));
  add('style 100 keys', body({ style_preferences: styles(100, 1) }));
  add('style value of 201', body({ style_preferences: { a: 'x'.repeat(201) } }));
  add('style 50 keys, one of 201', body({ style_preferences: { ...styles(49, 200), last: 'x'.repeat(201) } }));
  add('style 😀 × 201', body({ style_preferences: { a: '😀'.repeat(201) } }));
  for (const [name, make] of [...WRONG_VALUES.filter(([n]) => n !== '0' && n !== '1.5'), ['null', () => null]] as Array<[string, () => unknown]>) {
    add(`style value ${name}`, body({ style_preferences: { theme: 'dark', bad: make() } }));
  }
  for (const key of ['extra', 'Configuration', 'config', 'configuration ', 'topic', 'Priority', '']) add(`unknown top-level key ${JSON.stringify(key)}`, withKey(key, 'x', 'top'));
  for (const key of ['Topic', 'foo', 'topic ', 'resolution', 'duration', 'styles', 'priority', '', '0']) add(`unknown configuration key ${JSON.stringify(key)}`, withKey(key, 'x'));
  add('unknown keys everywhere', { ...body({ a: 1, b: 2 }), c: 3, d: 4 });
  add('every field wrong', {
    configuration: { topic: 1, context: '', model: [], quality: 'best', use_rag: 'no', custom_config: [], template_id: 'x'.repeat(101), style_preferences: styles(51), enable_subtitles: 0, enable_thumbnails: null, output_format: 'mkv', extra: true },
    priority: 'asap',
    more: 1,
  });
  add('unknown key and valid otherwise (all fields)', { ...full(), extra: 1 });
  add('JSON.parse of an array', JSON.parse('[{"configuration":{"topic":"t","context":"c"}}]'));
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Seeded random mutations
// ---------------------------------------------------------------------------------------------

type Rand = () => number;

/** mulberry32: small, fast, deterministic. */
function seeded(seed: number): Rand {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)];
const chance = (r: Rand, p: number) => r() < p;
function shuffled<T>(r: Rand, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const ASCII = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?-_/()\'"\\';
const BMP = ['界', '勾', 'é', 'Ж', 'ש', '\u0301', '\u00A0', '\u200D', '\u2764', '\uFE0D', '\uFFFD', '\u0000', '\n'];
const ODD = ['😀', '📐', '\uFE0F', '\uFE0E', '\uD83D', '\uDE00', '\uD800', '\uDFFF', '❤️', '🇺🇳'];

/** About `length` UTF-16 units: ASCII mostly, sometimes other BMP characters, sometimes odd ones. */
function randomText(r: Rand, length: number): string {
  const mode = r();
  let s = '';
  while (s.length < length) {
    const x = r();
    if (mode < 0.15 && x < 0.2) s += pick(r, ODD);
    else if (mode < 0.45 && x < 0.3) s += pick(r, BMP);
    else s += ASCII[Math.floor(r() * ASCII.length)];
  }
  // Cut to the exact length most of the time, which may split a surrogate pair: also worth a case.
  return chance(r, 0.8) ? s.slice(0, length) : s;
}

function textLength(r: Rand, max: number): number {
  return pick(r, [0, 1, 1, 2, 5, 20, max - 1, max, max, max + 1, Math.floor(max / 2)]);
}

const MAXIMA: Record<string, number> = { topic: TOPIC_MAX, context: CONTEXT_MAX, model: 100, template_id: 100 };

function randomJson(r: Rand, depth: number): unknown {
  const x = r();
  if (depth <= 0 || x < 0.4) return pick<unknown>(r, [0, -0, 1, -2.5, 1e21, true, false, null, '', 'text', '😀', randomText(r, 10)]);
  if (x < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth - 1));
  const out: Body = {};
  const keys = Math.floor(r() * 5);
  for (let i = 0; i < keys; i++) put(out, pick(r, ['a', 'b', 'name', '1', '20', 'then', '😀', '', `k${i}`]), randomJson(r, depth - 1));
  return out;
}

/** Values that sometimes break custom_config's copy. */
function oddJson(r: Rand): unknown {
  return pick<() => unknown>(r, [
    () => undefined,
    () => NaN,
    () => Infinity,
    () => new Date(0),
    () => Object.create(null),
    () => put({}, pick(r, ['toString', 'constructor', '__proto__', 'valueOf']), randomJson(r, 1)),
    () => [1, , 2], // eslint-disable-line no-sparse-arrays
    () => nest(35),
    () => new Map(),
  ])();
}

/** Half of them only near the limits (key count, value length), the others also with odd keys and values. */
function randomStyles(r: Rand): Body {
  const out: Body = {};
  const clean = chance(r, 0.5);
  const keys = pick(r, [0, 1, 3, 48, 49, 50, 50, 51, 52]);
  const long = pick(r, [200, 201]);
  for (let i = 0; i < keys; i++) {
    const len = clean ? pick(r, [0, 1, 10, 199, 200]) : pick(r, [0, 1, 10, 199, 200, 200, long]);
    const key = !clean && chance(r, 0.05) ? pick(r, ['toString', 'constructor', '__proto__']) : `style_${i}`;
    put(out, key, !clean && chance(r, 0.03) ? pick<unknown>(r, [1, null, true, {}, []]) : randomText(r, len));
  }
  return out;
}

function validValue(r: Rand, key: string): unknown {
  switch (key) {
    case 'topic':
    case 'context':
    case 'model':
    case 'template_id':
      return randomText(r, pick(r, [1, 2, 10, 30, MAXIMA[key] - 1, MAXIMA[key]]));
    case 'quality':
      return pick(r, QUALITIES);
    case 'output_format':
      return pick(r, FORMATS);
    case 'use_rag':
    case 'enable_subtitles':
    case 'enable_thumbnails':
      return chance(r, 0.5);
    case 'custom_config': {
      const v = randomJson(r, 4);
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { v };
    }
    case 'style_preferences': {
      const out: Body = {};
      const keys = Math.floor(r() * 6);
      for (let i = 0; i < keys; i++) out[`s${i}`] = randomText(r, Math.floor(r() * 40));
      return out;
    }
    default:
      throw new Error(key);
  }
}

function randomValidBody(r: Rand): Body {
  const keys = ['topic', 'context', ...OPTIONAL_KEYS.filter(() => chance(r, 0.4))];
  const configuration: Body = {};
  for (const key of shuffled(r, keys)) configuration[key] = validValue(r, key);
  const b: Body = { configuration };
  if (chance(r, 0.5)) b.priority = pick(r, PRIORITIES);
  return chance(r, 0.3) ? reorder(b, shuffled(r, Object.keys(b))) : b;
}

/** A value of any kind: right or wrong type, right or wrong enum, near-boundary text. */
function anyValue(r: Rand): unknown {
  return pick<() => unknown>(r, [
    () => undefined,
    () => null,
    () => chance(r, 0.5),
    () => pick(r, [0, 1, -1, 1.5, NaN]),
    () => '',
    () => pick(r, [...QUALITIES, ...FORMATS, ...PRIORITIES, 'MEDIUM', 'mkv', 'critical', 'true']),
    () => randomText(r, textLength(r, pick(r, [100, 200, TOPIC_MAX, CONTEXT_MAX]))),
    () => [],
    () => [randomText(r, 3)],
    () => ({}),
    () => randomJson(r, 3),
    () => randomStyles(r),
    () => oddJson(r),
  ])();
}

function mutate(r: Rand, b: Body): unknown {
  const config: Body | undefined = typeof b.configuration === 'object' && b.configuration !== null ? b.configuration : undefined;
  switch (Math.floor(r() * 12)) {
    case 0:
    case 1: {
      // A known configuration field with a value of any kind.
      if (config) config[pick(r, CONFIG_KEYS)] = anyValue(r);
      return b;
    }
    case 2: {
      // A string field near its length limits, any alphabet.
      const key = pick(r, ['topic', 'context', 'model', 'template_id']);
      if (config) config[key] = randomText(r, textLength(r, MAXIMA[key]));
      return b;
    }
    case 3:
      if (config) delete config[pick(r, CONFIG_KEYS)];
      return b;
    case 4:
      if (config) put(config, pick(r, ['Topic', 'extra', 'priority', 'resolution', 'toString', 'constructor', '__proto__', '']), anyValue(r));
      return b;
    case 5:
      if (config) config.style_preferences = randomStyles(r);
      return b;
    case 6:
      if (config) config.custom_config = chance(r, 0.5) ? { a: oddJson(r) } : randomJson(r, 5);
      return b;
    case 7:
      b.priority = anyValue(r);
      return b;
    case 8:
      if (chance(r, 0.5)) delete b[pick(r, ['configuration', 'priority'])];
      else put(b, pick(r, ['extra', 'Configuration', 'toString', '__proto__', 'constructor']), anyValue(r));
      return b;
    case 9:
      b.configuration = anyValue(r);
      return b;
    case 10:
      if (config) b.configuration = reorder(config, shuffled(r, Object.keys(config)));
      return reorder(b, shuffled(r, Object.keys(b)));
    default:
      return chance(r, 0.2) ? anyValue(r) : b;
  }
}

function randomCases(seed: number, count: number): Case[] {
  const r = seeded(seed);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    let b: unknown = randomValidBody(r);
    const mutations = pick(r, [0, 0, 1, 1, 1, 2, 3]);
    for (let m = 0; m < mutations && typeof b === 'object' && b !== null && !Array.isArray(b); m++) b = mutate(r, b as Body);
    cases.push({ name: `random #${i} (seed ${seed})`, body: b });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

const COMMON = commonValid();
const UNUSUAL = unusual();
const EDGES = edges();
const INVALID = invalid();
const SEED = 0x5eed_2024;
const RANDOM = randomCases(SEED, 4000);

describe('createJobBody', () => {
  it('restates the rules of the DTOs (change both together)', () => {
    const rules = (cls: new () => object) =>
      getMetadataStorage()
        .getTargetValidationMetadatas(cls, '', true, false, undefined)
        .map((m) => {
          const name = m.name ?? m.type;
          const constraints = name === 'isEnum' ? (m.constraints[1] as string[]).join('|') : name === 'isLength' || name === 'maxJsonBytes' ? (m.constraints as number[]).join('-') : '';
          const extra = [m.each ? 'each' : '', m.groups?.length ? 'groups' : '', m.always ? 'always' : '', m.validateIf ? 'validateIf' : '', name === 'isStringRecord' ? String(m.message) : ''];
          return [m.propertyName, name, constraints, ...extra].filter(Boolean).join(' ');
        })
        .sort();
    expect(rules(CreateVideoJobDto)).toEqual([
      'configuration isDefined',
      'configuration isObject',
      'configuration nestedValidation',
      'priority conditionalValidation',
      'priority isEnum low|normal|high|urgent',
    ]);
    expect(rules(JobConfigurationDto)).toEqual([
      'context isDefined',
      'context isLength 1-2000',
      'context isString',
      'custom_config conditionalValidation',
      'custom_config isObject',
      'custom_config maxJsonBytes 65536',
      'enable_subtitles conditionalValidation',
      'enable_subtitles isBoolean',
      'enable_thumbnails conditionalValidation',
      'enable_thumbnails isBoolean',
      'model conditionalValidation',
      'model isLength 1-100',
      'model isString',
      'output_format conditionalValidation',
      'output_format isEnum mp4|avi|mov|wmv|flv|webm',
      'quality conditionalValidation',
      'quality isEnum low|medium|high|ultra',
      'style_preferences conditionalValidation',
      'style_preferences isStringRecord style_preferences must be an object of strings (at most 50 keys, values up to 200 characters)',
      'template_id conditionalValidation',
      'template_id isLength 1-100',
      'template_id isString',
      'topic isDefined',
      'topic isLength 1-500',
      'topic isString',
      'use_rag conditionalValidation',
      'use_rag isBoolean',
    ]);
  });

  it('builds what plainToInstance builds: the class defaults, absent optional fields absent, body key order', async () => {
    const dto = await createJobBody({ configuration: { context: 'c', topic: 't' } });
    const configuration = Object.assign(new JobConfigurationDto(), { context: 'c', topic: 't' });
    expect(dto).toStrictEqual(Object.assign(new CreateVideoJobDto(), { configuration, priority: JobPriority.NORMAL }));
    expect(dto.configuration).toBeInstanceOf(JobConfigurationDto);
    expect(Object.keys(dto)).toEqual(Object.keys(await validateBody(CreateVideoJobDto, { configuration: { context: 'c', topic: 't' } })));
    expect(Object.keys(dto.configuration)).toEqual(['quality', 'use_rag', 'enable_subtitles', 'enable_thumbnails', 'output_format', 'context', 'topic']);
    expect(dto.configuration).toMatchObject({ quality: VideoQuality.MEDIUM, use_rag: false, enable_subtitles: true, enable_thumbnails: true, output_format: VideoFormat.MP4 });
    expect('model' in dto.configuration).toBe(false);
    expect('custom_config' in dto.configuration).toBe(false);
  });

  it('copies custom_config and style_preferences instead of sharing them with the body', async () => {
    const b = full();
    const dto = await createJobBody(b);
    expect(fastAccept(b)).toBeInstanceOf(CreateVideoJobDto);
    expect(dto.configuration.custom_config).toEqual(b.configuration.custom_config);
    expect(dto.configuration.custom_config).not.toBe(b.configuration.custom_config);
    expect(dto.configuration.custom_config?.voice).not.toBe(b.configuration.custom_config.voice);
    expect(dto.configuration.custom_config?.scenes).not.toBe(b.configuration.custom_config.scenes);
    expect(dto.configuration.style_preferences).not.toBe(b.configuration.style_preferences);
    expect(await createJobBody(b)).not.toBe(dto);
  });

  it(`takes the fast path for ${COMMON.length} common valid bodies, with validateBody's DTO`, async () => {
    const { failures } = await judge(COMMON, (v) => (!v.valid ? 'validateBody rejects it' : !v.fast ? 'fastAccept declines it' : undefined));
    expect(failures).toEqual([]);
  });

  it(`leaves ${UNUSUAL.length} unusual bodies to class-validator, with its outcome`, async () => {
    const { failures, verdicts } = await judge(UNUSUAL, (v) => (v.fast ? 'fastAccept takes it' : undefined));
    expect(failures).toEqual([]);
    // Both kinds are there: the fallback is not only for errors.
    expect(verdicts.filter((v) => v.valid).length).toBeGreaterThan(50);
    expect(verdicts.filter((v) => !v.valid).length).toBeGreaterThan(10);
  });

  it(`agrees with validateBody on ${EDGES.length} bodies outside JSON`, async () => {
    const { failures } = await judge(EDGES, () => undefined);
    expect(failures).toEqual([]);
  });

  it(`rejects ${INVALID.length} invalid bodies with validateBody's error, never on the fast path`, async () => {
    const { failures } = await judge(INVALID, (v) => (v.valid ? 'validateBody accepts it' : v.fast ? 'fastAccept takes it' : undefined));
    expect(failures).toEqual([]);
  });

  it(`agrees with validateBody on ${RANDOM.length} seeded mutations of valid bodies`, async () => {
    const { failures, verdicts } = await judge(RANDOM, () => undefined);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(failures.length).toBe(0);
    const fast = verdicts.filter((v) => v.fast).length;
    const validSlow = verdicts.filter((v) => v.valid && !v.fast).length;
    const rejected = verdicts.filter((v) => !v.valid).length;
    // The generator exercises all three ways out, each often.
    expect(fast).toBeGreaterThan(800);
    expect(validSlow).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(800);
  });
});
