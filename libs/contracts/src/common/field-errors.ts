import type { ValidationError } from 'class-validator';
import type { FieldError } from './api-response.js';
import { FieldErrorCode } from './error-codes.js';

/** Which class-validator constraint means which field error code; the first present wins. */
const CONSTRAINT_CODES: Array<[string, FieldErrorCode]> = [
  ['whitelistValidation', FieldErrorCode.UNKNOWN_FIELD],
  ['isDefined', FieldErrorCode.MISSING_FIELD],
  ['isString', FieldErrorCode.INVALID_TYPE],
  ['isBoolean', FieldErrorCode.INVALID_TYPE],
  ['isInt', FieldErrorCode.INVALID_TYPE],
  ['isNumber', FieldErrorCode.INVALID_TYPE],
  ['isObject', FieldErrorCode.INVALID_TYPE],
  ['isArray', FieldErrorCode.INVALID_TYPE],
  ['nestedValidation', FieldErrorCode.INVALID_TYPE],
  ['isEnum', FieldErrorCode.INVALID_ENUM],
  ['isIn', FieldErrorCode.INVALID_ENUM],
  ['isLength', FieldErrorCode.INVALID_LENGTH],
  ['minLength', FieldErrorCode.INVALID_LENGTH],
  ['maxLength', FieldErrorCode.INVALID_LENGTH],
  ['maxJsonBytes', FieldErrorCode.INVALID_LENGTH],
  ['arrayMinSize', FieldErrorCode.INVALID_LENGTH],
  ['arrayMaxSize', FieldErrorCode.TOO_MANY_ITEMS],
  ['min', FieldErrorCode.OUT_OF_RANGE],
  ['max', FieldErrorCode.OUT_OF_RANGE],
  ['isUuid', FieldErrorCode.INVALID_FORMAT],
  ['isIso8601', FieldErrorCode.INVALID_FORMAT],
  ['isInstant', FieldErrorCode.INVALID_FORMAT],
  ['matches', FieldErrorCode.INVALID_FORMAT],
];

/** Constraints on what kind of value a field holds. */
const TYPE_CONSTRAINTS = new Set(CONSTRAINT_CODES.filter(([, code]) => code === FieldErrorCode.INVALID_TYPE).map(([name]) => name));

const MAX_ECHOED_VALUE = 200;

function echoable(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return value.length <= MAX_ECHOED_VALUE;
  return value === null || typeof value === 'number' || typeof value === 'boolean';
}

function join(parent: string, property: string): string {
  if (!parent) return property;
  return /^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`;
}

/**
 * Flattens class-validator errors to the spec's `field_errors`: one entry per field, dotted paths
 * (`configuration.topic`, `jobs[2].configuration.quality`), the most telling constraint first.
 */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = join(parent, e.property);
    const constraints = e.constraints ?? {};
    const names = Object.keys(constraints);
    if (names.length) {
      const [name, code] = CONSTRAINT_CODES.find(([n]) => n in constraints) ?? [names[0], FieldErrorCode.INVALID_VALUE];
      const message = code === FieldErrorCode.UNKNOWN_FIELD ? `Unknown field: ${field}` : constraints[name];
      const fe: FieldError = { field, message, code };
      if (code !== FieldErrorCode.MISSING_FIELD && code !== FieldErrorCode.UNKNOWN_FIELD && echoable(e.value)) fe.value = e.value;
      out.push(fe);
    }
    // A value of the wrong type has no fields of its own to report (`jobs: {}` is "jobs must be
    // an array", not also "jobs.configuration is required").
    const wrongType = names.some((n) => n !== 'nestedValidation' && TYPE_CONSTRAINTS.has(n));
    if (e.children?.length && !wrongType) out.push(...toFieldErrors(e.children, field));
  }
  return out;
}
