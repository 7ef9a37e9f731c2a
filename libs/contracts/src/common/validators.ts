import { Transform } from 'class-transformer';
import { length, registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';

/** An object whose values are all strings: at most `maxKeys` keys, each value at most `maxValue` characters. */
export function IsStringRecord(options?: ValidationOptions, maxKeys = 50, maxValue = 200): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringRecord',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          // Characters counted as `@Length` counts them (the topic's rule): an emoji is one, not two UTF-16 units.
          return entries.length <= maxKeys && entries.every(([, v]) => typeof v === 'string' && (v.length <= maxValue || length(v, 0, maxValue)));
        },
      },
    });
  };
}

/**
 * A body field that may be left out but has no null among its values: absent skips its checks,
 * null goes through them and fails them (422 naming the field). `@IsOptional()` skips the checks
 * for null too, and the null then reached the service: a job configuration stored with
 * `quality: null` where the spec promises a quality, a permissions change that silently did nothing.
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/** `YYYY-MM-DD`, or a date-time to the minute or finer with an optional `Z` or `±HH:MM` offset. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * The instant an ISO 8601 date or date-time names, in the canonical form `2024-01-15T10:30:00.000Z`;
 * undefined for anything else. A date without an offset is UTC. Only years 1-9999 and real
 * calendar dates (no 2024-02-30, no 25:00, offsets within ±23:59) are instants: class-validator's
 * `isISO8601` also accepted week dates (`2024-W01-1`), ordinal dates and offsets beyond PostgreSQL's
 * ±15:59, which reached SQL as text and failed there (a 500).
 */
export function isoInstant(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = INSTANT.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', offset] = m;
  const year = Number(y);
  if (year < 1 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (offset && offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4)) > 59)) return undefined;
  // The calendar: Date rolls 2024-02-30 over to March.
  const day = new Date(Date.UTC(year, Number(mo) - 1, Number(d)));
  day.setUTCFullYear(year);
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  const ms = Date.parse(m[4] === undefined ? `${y}-${mo}-${d}T00:00:00Z` : offset ? value : `${value}Z`);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  // An offset can carry 0001-01-01 into year 0, or 9999-12-31 into 10000.
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000-') ? iso : undefined;
}

/**
 * A query's point in time (`created_after`, `created_before`): an ISO 8601 date or date-time, passed
 * on as the canonical UTC instant (`isoInstant`), so the services' SQL never sees a form PostgreSQL
 * reads otherwise or not at all.
 */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    Transform(({ value }: { value: unknown }) => isoInstant(value) ?? value)(target, propertyName);
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: { validate: (value: unknown) => isoInstant(value) === value },
    });
  };
}

/** Bytes of `value` as JSON in UTF-8; Infinity when it cannot be written as JSON (a cycle). */
export function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Infinity;
  }
}

/** An object of at most `max` bytes as JSON (the messages between services have a size limit). */
export function MaxJsonBytes(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'maxJsonBytes',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [max],
      options,
      validator: { validate: (value: unknown) => jsonBytes(value) <= max },
    });
  };
}

/**
 * A whole number given in a query string: only decimal digits (with an optional minus sign) become
 * a number. `Type(() => Number)` also turned "0x10" into 16, "1e1" into 10, "+1" into 1 and an
 * empty value into 0, and "abc" into NaN (a field error whose value was null); such values now
 * stay as sent, for `IsInt` to refuse and name.
 */
export function QueryInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value));
}
