import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { readFileSync } from 'node:fs';
import { ToBoolean, ToInt } from './transforms.js';

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const PACKAGE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** Settings every service shares. Each app extends it with its own. */
export class BaseConfig {
  @IsIn(ENVIRONMENTS)
  NODE_ENV: Environment = 'development';

  @IsString()
  APP_VERSION: string = PACKAGE_VERSION;

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/video_platform';

  @ToInt() @IsInt() @Min(1) @Max(50)
  DATABASE_POOL_SIZE = 5;

  /** Apply this service's migrations at start-up (on by default except in production). */
  @ToBoolean() @IsBoolean()
  DATABASE_MIGRATE_ON_START = true;

  @Matches(/^(nats|tls|ws|wss):\/\/\S+(,(nats|tls|ws|wss):\/\/\S+)*$/, { message: 'must be nats:// URLs, comma-separated' })
  NATS_URL = 'nats://127.0.0.1:4222';

  /** Prepended to every subject: lets several platforms (or test runs) share one NATS. */
  @Matches(/^([a-zA-Z0-9_-]+\.)?$/, { message: 'must be empty or a token followed by a dot, e.g. "staging."' })
  NATS_SUBJECT_PREFIX = '';

  /** How long a request to another service may take before the caller answers 503. */
  @ToInt() @IsInt() @Min(50) @Max(120000)
  RPC_TIMEOUT_MS = 5000;

  @IsString()
  HTTP_HOST = '0.0.0.0';

  /** The service's own HTTP port (`/health/*`, `/metrics`; the API on the gateway). Each app sets its default. */
  @ToInt() @IsInt() @Min(0) @Max(65535)
  HTTP_PORT = 3000;

  @ToInt() @IsInt() @Min(1) @Max(5000)
  HEALTH_CHECK_TIMEOUT_MS = 1000;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  @ToBoolean() @IsBoolean()
  LOG_JSON = false;

  /** Blob storage root for the local driver. */
  @IsString()
  STORAGE_DIR = './var/storage';

  /**
   * A temp file of the local storage untouched this long is removed (an upload or a copy cut off by
   * a killed process; one under way is written to continually). 0 keeps them.
   */
  @ToInt() @IsInt() @Min(0) @Max(30 * 24 * 3600)
  STORAGE_TMP_MAX_AGE_SECONDS = 24 * 3600;

  @ToInt() @IsInt() @Min(0) @Max(600000)
  SHUTDOWN_TIMEOUT_MS = 10000;
}
