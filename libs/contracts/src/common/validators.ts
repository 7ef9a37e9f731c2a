import { registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';

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
          return entries.length <= maxKeys && entries.every(([, v]) => typeof v === 'string' && v.length <= maxValue);
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
