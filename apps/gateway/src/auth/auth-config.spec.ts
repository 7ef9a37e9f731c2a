import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@vgp/config';
import { GatewayConfig } from '../gateway.config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(GatewayConfig, env);
    return [];
  } catch (err) {
    // Only the auth and rate-limit settings: other areas add their own production requirements.
    return (err as ConfigError).problems.map((p) => p.split(':')[0]).filter((k) => /^(CLERK_|AUTH_|RATE_LIMIT_)/.test(k));
  }
};

describe('auth configuration', () => {
  it('production needs a Clerk issuer and refuses the local JWKS and the users fallback', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual(['CLERK_ISSUER']);
    expect(problems({ NODE_ENV: 'production', CLERK_ISSUER: 'https://clerk.example.com', AUTH_LOCAL_JWKS_PATH: '/tmp/jwks.json', AUTH_USERS_OPTIONAL: 'true' })).toEqual([
      'AUTH_LOCAL_JWKS_PATH',
      'AUTH_USERS_OPTIONAL',
    ]);
    expect(problems({ NODE_ENV: 'production', CLERK_ISSUER: 'https://clerk.example.com' })).toEqual([]);
  });

  it('development may use the local JWKS; bad values are named', () => {
    expect(problems({ NODE_ENV: 'development', CLERK_ISSUER: 'https://clerk.local.test', AUTH_LOCAL_JWKS_PATH: '/tmp/jwks.json' })).toEqual([]);
    expect(problems({ CLERK_ISSUER: 'not a url', AUTH_CLOCK_SKEW_SECONDS: '-1', RATE_LIMIT_USER: '0' })).toEqual(['CLERK_ISSUER', 'AUTH_CLOCK_SKEW_SECONDS', 'RATE_LIMIT_USER']);
  });

  it('reads the authorized parties as a list', () => {
    expect(loadConfig(GatewayConfig, { CLERK_AUTHORIZED_PARTIES: 'https://a.example, https://b.example' }).CLERK_AUTHORIZED_PARTIES).toEqual(['https://a.example', 'https://b.example']);
  });
});
