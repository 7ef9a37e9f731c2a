import { describe, expect, it } from '@jest/globals';
import type { SystemHealth } from '@vgp/contracts';
import { publicError, publicHealth } from './public-errors.js';

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

  it('shows anyone statuses, figures, times and errors without addresses, at any depth, and no other text', () => {
    const h = {
      status: 'unhealthy',
      timestamp: '2026-12-02T00:00:00.000Z',
      uptime_seconds: 5,
      version: '0.1.0',
      environment: 'production',
      components: {
        postgresql: {
          status: 'unhealthy',
          error: 'connect ECONNREFUSED 10.0.0.1:5432',
          response_time_ms: 3.5,
          last_check: '2026-12-02T00:00:00.000Z',
          details: {
            server_version: '15.20 (Debian 15.20-0+deb12u1)',
            connections: 4,
            monitor_error: 'fetch http://x:8222/varz',
            replicas: [{ instance_id: 'vm-8391-a4c31b', started_at: '2026-12-01T00:00:00.000Z', uptime_seconds: 9, ready: true, checks: { database: { status: 'unhealthy', error: 'connect ECONNREFUSED 10.0.0.2:5432' } } }],
            host: '10.0.0.9',
            pool: null,
          },
        },
        nats: { status: 'healthy', details: { server: '127.0.0.1:4222', server_id: 'NABC', server_name: 'nats-0', jetstream: true, rtt_ms: 0.4 } },
        authentication: { status: 'healthy', details: { initialized: true, verifier: 'clerk', issuer: 'https://clerk.example.com' } },
      },
    } as unknown as SystemHealth;
    expect(publicHealth(h)).toEqual({
      ...h,
      components: {
        postgresql: {
          status: 'unhealthy',
          error: 'connect ECONNREFUSED <address>',
          response_time_ms: 3.5,
          last_check: '2026-12-02T00:00:00.000Z',
          details: {
            connections: 4,
            monitor_error: 'fetch <url>',
            replicas: [{ started_at: '2026-12-01T00:00:00.000Z', uptime_seconds: 9, ready: true, checks: { database: { status: 'unhealthy', error: 'connect ECONNREFUSED <address>' } } }],
            pool: null,
          },
        },
        nats: { status: 'healthy', details: { jetstream: true, rtt_ms: 0.4 } },
        authentication: { status: 'healthy', details: { initialized: true } },
      },
    });
  });
});
