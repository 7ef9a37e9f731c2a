import { describe, expect, it } from '@jest/globals';
import { publicError, withPublicErrors } from './public-errors.js';

describe('publicError', () => {
  it.each([
    ['connect ECONNREFUSED 10.0.3.7:5432', 'connect ECONNREFUSED <address>'],
    ['connect ECONNREFUSED [::1]:5432', 'connect ECONNREFUSED <address>'],
    ['getaddrinfo ENOTFOUND postgres.internal.example:5432', 'getaddrinfo ENOTFOUND <address>'],
    ['connect ECONNREFUSED postgres:5432', 'connect ECONNREFUSED <address>'],
    ['password authentication failed for user "app"', 'password authentication failed for user "…"'],
    ['request to http://nats-monitor.svc:8222/varz failed', 'request to <url> failed'],
  ])('takes the layout out of %j', (message, shown) => {
    expect(publicError(message)).toBe(shown);
  });

  it.each(['No instance answered within 400 ms', '1 of 2 replicas answered', 'slow: 120 ms', 'only 4.5% free', 'no answer within 1000 ms'])('leaves the platform\'s own %j as it is', (message) => {
    expect(publicError(message)).toBe(message);
  });

  it('passes every error of a health answer, at any depth, and nothing else', () => {
    const h = { status: 'unhealthy', error: 'connect ECONNREFUSED 10.0.0.1:5432', details: { monitor_error: 'fetch http://x:8222/varz', replicas: [{ checks: { database: { error: 'connect ECONNREFUSED 10.0.0.2:5432' } } }], host: '10.0.0.9' } };
    expect(withPublicErrors(h)).toEqual({
      status: 'unhealthy',
      error: 'connect ECONNREFUSED <address>',
      details: { monitor_error: 'fetch <url>', replicas: [{ checks: { database: { error: 'connect ECONNREFUSED <address>' } } }], host: '10.0.0.9' },
    });
  });
});
