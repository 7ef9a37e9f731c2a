import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** Every bad variable, named in one error. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const got = e.value === undefined ? 'unset' : JSON.stringify(e.value);
    return Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m} (got ${got})`);
  });
}

/**
 * Reads a config class from the environment: class property initialisers are the defaults,
 * class-validator rules the checks, class-transformer `@Transform`s the conversions.
 * Only the class's own keys are read; unknown variables are ignored.
 */
export function loadConfig<T extends object>(cls: new () => T, env: Record<string, string | undefined> = process.env): T {
  const keys = Object.keys(new cls());
  const plain: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const config = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length) throw new ConfigError(describe(errors));
  return Object.freeze(config);
}
