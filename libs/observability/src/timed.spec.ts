import { describe, expect, it } from '@jest/globals';
import { HealthStatus } from '@vgp/contracts';
import { worstStatus } from './readiness.service.js';
import { timed } from './timed.js';

describe('timed', () => {
  it('measures a probe that answers', async () => {
    const o = await timed(async () => 42, 1000);
    expect(o).toMatchObject({ ok: true, value: 42 });
    expect(o.response_time_ms).toBeGreaterThanOrEqual(0);
  });

  it('turns an error or a hang into an outcome', async () => {
    expect(await timed(() => Promise.reject(new Error('refused')), 1000)).toMatchObject({ ok: false, error: 'refused' });
    const hung = await timed(() => new Promise(() => undefined), 50);
    expect(hung).toMatchObject({ ok: false, error: 'no answer within 50 ms' });
    expect(hung.response_time_ms).toBeGreaterThanOrEqual(45);
  });
});

describe('worstStatus', () => {
  it('orders unhealthy > degraded > unknown > healthy', () => {
    expect(worstStatus([])).toBe(HealthStatus.HEALTHY);
    expect(worstStatus(['healthy', 'unknown'])).toBe(HealthStatus.UNKNOWN);
    expect(worstStatus(['healthy', 'degraded', 'unknown'])).toBe(HealthStatus.DEGRADED);
    expect(worstStatus(['degraded', 'unhealthy', 'healthy'])).toBe(HealthStatus.UNHEALTHY);
  });
});
