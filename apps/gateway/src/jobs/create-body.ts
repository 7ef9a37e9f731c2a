import { CONTEXT_MAX, CreateVideoJobDto, CUSTOM_CONFIG_MAX_BYTES, JobConfigurationDto, JobPriority, jsonBytes, TOPIC_MAX, VideoFormat, VideoQuality } from '@vgp/contracts';
import { validateBody } from '../http/validation.pipe.js';

/*
 * The body of `POST /videos/generate` without class-transformer and class-validator when it is
 * certainly valid. `fastAccept` only ever answers "valid, and here is the DTO" or "not sure"; every
 * "not sure" goes through `validateBody`, which alone decides what is invalid and reports it, so the
 * 422s are those of the DTO. What `fastAccept` accepts it builds as `plainToInstance` would: the DTO
 * classes' own constructors (their defaults, their own keys), then the body's keys in the body's
 * order, `custom_config` and `style_preferences` copied.
 *
 * The rules below restate those of `CreateVideoJobDto` and `JobConfigurationDto`; create-body.spec.ts
 * pins them to the DTOs' validation metadata, so a changed DTO fails that test until this follows.
 */

/** `model` and `template_id`: 1-100 characters. */
const OPTION_MAX = 100;
/** `IsStringRecord` of `style_preferences`: at most 50 keys, values of at most 200 characters (as `Length` counts). */
const STYLE_MAX_KEYS = 50;
const STYLE_MAX_VALUE = 200;
/** Deeper `custom_config` objects are left to class-transformer. */
const COPY_MAX_DEPTH = 32;

/**
 * Characters that validator.js's `isLength` does not count one for one (surrogates, variation
 * selectors): a string holding one is left to `Length`.
 */
const UNCOUNTED = /[\uD800-\uDFFF]|\uFE0E|\uFE0F/;

const PRIORITIES: ReadonlySet<unknown> = new Set<unknown>(Object.values(JobPriority));
const QUALITIES: ReadonlySet<unknown> = new Set<unknown>(Object.values(VideoQuality));
const FORMATS: ReadonlySet<unknown> = new Set<unknown>(Object.values(VideoFormat));

const hasOwn = Object.prototype.hasOwnProperty;
const NOT_COPIED: unique symbol = Symbol('not-copied');

type Plain = Record<string, unknown>;

/** An object as `JSON.parse` makes them: `Object.prototype` as prototype, not an array. */
function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && !Array.isArray(value);
}

/** A string `Length(1, max)` certainly accepts. */
function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length !== 0 && value.length <= max && !UNCOUNTED.test(value);
}

/**
 * A key class-transformer copies into a plain object as is: an own key that names nothing on
 * `Object.prototype` (it drops `__proto__`, `constructor`, `toString`, `valueOf`, ...).
 */
function isCopiedKey(source: Plain, key: string): boolean {
  return hasOwn.call(source, key) && !(key in Object.prototype);
}

/** A JSON value as class-transformer copies it (fresh objects and arrays), or NOT_COPIED. */
function copyValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : NOT_COPIED;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return copyArray(value, depth);
      return copyObject(value, depth) ?? NOT_COPIED;
    default:
      return NOT_COPIED;
  }
}

function copyArray(source: unknown[], depth: number): unknown[] | typeof NOT_COPIED {
  if (depth > COPY_MAX_DEPTH || Object.getPrototypeOf(source) !== Array.prototype) return NOT_COPIED;
  const out: unknown[] = [];
  for (let i = 0; i < source.length; i++) {
    // A hole reads as undefined, which is not copied either.
    const v = copyValue(source[i], depth + 1);
    if (v === NOT_COPIED) return NOT_COPIED;
    out.push(v);
  }
  return out;
}

function copyObject(source: unknown, depth: number): Plain | undefined {
  if (depth > COPY_MAX_DEPTH || !isPlain(source)) return undefined;
  const out: Plain = {};
  for (const key in source) {
    if (!isCopiedKey(source, key)) return undefined;
    const v = copyValue(source[key], depth + 1);
    if (v === NOT_COPIED) return undefined;
    out[key] = v;
  }
  return out;
}

/** A copy of a `style_preferences` that `IsStringRecord` certainly accepts. */
function copyStyles(source: unknown): Record<string, string> | undefined {
  if (!isPlain(source)) return undefined;
  const out: Record<string, string> = {};
  let keys = 0;
  for (const key in source) {
    if (!isCopiedKey(source, key) || ++keys > STYLE_MAX_KEYS) return undefined;
    const v = source[key];
    // Within 200 UTF-16 units is within 200 characters; a longer value (emoji count one each) is left to IsStringRecord.
    if (typeof v !== 'string' || v.length > STYLE_MAX_VALUE) return undefined;
    out[key] = v;
  }
  return out;
}

function fastConfiguration(source: unknown): JobConfigurationDto | undefined {
  if (!isPlain(source)) return undefined;
  const cfg = new JobConfigurationDto();
  let topic = false;
  let context = false;
  for (const key in source) {
    if (!hasOwn.call(source, key)) return undefined;
    const v = source[key];
    switch (key) {
      case 'topic':
        if (!isText(v, TOPIC_MAX)) return undefined;
        cfg.topic = v;
        topic = true;
        break;
      case 'context':
        if (!isText(v, CONTEXT_MAX)) return undefined;
        cfg.context = v;
        context = true;
        break;
      case 'model':
        if (!isText(v, OPTION_MAX)) return undefined;
        cfg.model = v;
        break;
      case 'quality':
        if (!QUALITIES.has(v)) return undefined;
        cfg.quality = v as VideoQuality;
        break;
      case 'custom_config': {
        const copy = copyObject(v, 0);
        if (copy === undefined || jsonBytes(copy) > CUSTOM_CONFIG_MAX_BYTES) return undefined;
        cfg.custom_config = copy;
        break;
      }
      case 'template_id':
        if (!isText(v, OPTION_MAX)) return undefined;
        cfg.template_id = v;
        break;
      case 'style_preferences': {
        const copy = copyStyles(v);
        if (copy === undefined) return undefined;
        cfg.style_preferences = copy;
        break;
      }
      case 'use_rag':
      case 'enable_subtitles':
      case 'enable_thumbnails':
        if (typeof v !== 'boolean') return undefined;
        cfg[key] = v;
        break;
      case 'output_format':
        if (!FORMATS.has(v)) return undefined;
        cfg.output_format = v as string;
        break;
      default:
        return undefined;
    }
  }
  return topic && context ? cfg : undefined;
}

/**
 * The DTO of a body that is certainly valid, equal to what `validateBody(CreateVideoJobDto, body)`
 * resolves to; undefined whenever that is not certain (invalid or merely unusual bodies alike).
 */
export function fastAccept(body: unknown): CreateVideoJobDto | undefined {
  if (!isPlain(body)) return undefined;
  const dto = new CreateVideoJobDto();
  let configuration = false;
  for (const key in body) {
    if (!hasOwn.call(body, key)) return undefined;
    const v = body[key];
    if (key === 'configuration') {
      const cfg = fastConfiguration(v);
      if (cfg === undefined) return undefined;
      dto.configuration = cfg;
      configuration = true;
    } else if (key === 'priority') {
      if (!PRIORITIES.has(v)) return undefined;
      dto.priority = v as JobPriority;
    } else {
      return undefined;
    }
  }
  return configuration ? dto : undefined;
}

/** The body of `POST /videos/generate` as its DTO, or the 422 of `validateBody`. */
export async function createJobBody(body: unknown): Promise<CreateVideoJobDto> {
  return fastAccept(body) ?? validateBody(CreateVideoJobDto, body);
}
