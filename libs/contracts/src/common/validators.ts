import { registerDecorator, type ValidationOptions } from 'class-validator';

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
