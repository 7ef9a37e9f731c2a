import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@vgp/config';
import { GatewayConfig } from './gateway.config.js';
import { trustProxy } from './gateway.setup.js';

describe('TRUST_PROXY', () => {
  it('believes no proxy by default, so a client cannot choose its address', () => {
    expect(trustProxy(loadConfig(GatewayConfig, {}).TRUST_PROXY)).toBe(false);
  });

  it('takes a hop count or trusted addresses', () => {
    const oneHop = trustProxy(loadConfig(GatewayConfig, { TRUST_PROXY: '1' }).TRUST_PROXY) as (a: string, hop: number) => boolean;
    expect([oneHop('10.0.0.1', 0), oneHop('10.0.0.2', 1)]).toEqual([true, false]);
    expect(trustProxy(loadConfig(GatewayConfig, { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY)).toBe('10.0.0.0/8,127.0.0.1');
  });

  it('refuses "true" (every client would be trusted)', () => {
    expect(() => loadConfig(GatewayConfig, { TRUST_PROXY: 'true' })).toThrow(ConfigError);
  });
});

describe('CORS_ORIGINS', () => {
  it('allows any origin by default, a list, or none', () => {
    expect(loadConfig(GatewayConfig, {}).CORS_ORIGINS).toEqual(['*']);
    expect(loadConfig(GatewayConfig, { CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig(GatewayConfig, { CORS_ORIGINS: 'false' }).CORS_ORIGINS).toEqual(['false']);
  });

  it.each(['app.example.com', 'https://app.example.com/path', 'https://*.example.com', 'ftp://x'])('refuses %s (an origin is a scheme and a host)', (value) => {
    expect(() => loadConfig(GatewayConfig, { CORS_ORIGINS: value })).toThrow(ConfigError);
  });
});
