import { describe, expect, it } from '@jest/globals';
import { BaseConfig } from './base.config.js';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('works with no environment at all: the defaults fit this machine', () => {
    const c = loadConfig(BaseConfig, {});
    expect(c).toMatchObject({ NODE_ENV: 'development', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/video_platform', NATS_URL: 'nats://127.0.0.1:4222', DATABASE_POOL_SIZE: 5 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('converts numbers and booleans from strings', () => {
    const c = loadConfig(BaseConfig, { DATABASE_POOL_SIZE: '8', DATABASE_MIGRATE_ON_START: 'false', LOG_JSON: 'yes' });
    expect(c).toMatchObject({ DATABASE_POOL_SIZE: 8, DATABASE_MIGRATE_ON_START: false, LOG_JSON: true });
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadConfig(BaseConfig, { NODE_ENV: 'prod', DATABASE_URL: 'mysql://x', DATABASE_POOL_SIZE: 'many', RPC_TIMEOUT_MS: '10', LOG_JSON: 'perhaps', NATS_SUBJECT_PREFIX: 'no dots' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = (err as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(new Set(names)).toEqual(new Set(['NODE_ENV', 'DATABASE_URL', 'DATABASE_POOL_SIZE', 'RPC_TIMEOUT_MS', 'LOG_JSON', 'NATS_SUBJECT_PREFIX']));
    expect((err as Error).message).toContain('DATABASE_POOL_SIZE');
    expect((err as Error).message).toContain('(got "many")');
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig(BaseConfig, { SOMETHING_ELSE: '1' })).not.toThrow();
  });
});
