import { describe, expect, it } from '@jest/globals';
import { HealthStatus, type ServiceHealthReport } from '@vgp/contracts';
import { type ReceivedReport, ReplicaTracker } from './replica-tracker.js';
import { TrafficWindow } from './traffic-window.js';

const report = (service: string, id: string, status = HealthStatus.HEALTHY, ms = 3): ReceivedReport => ({
  response_time_ms: ms,
  report: { service, instance_id: id, version: '1.0.0', started_at: new Date().toISOString(), uptime_seconds: 1, status, checks: {} } as ServiceHealthReport,
});

describe('ReplicaTracker', () => {
  const policy = { memoryMs: 60_000, slowMs: 500, windowMs: 1000 };
  const at = '2026-01-01T00:00:00.000Z';

  it('reads one replica of two gone as degraded and none as unhealthy', () => {
    const t = new ReplicaTracker(policy);
    let expected = t.record(['jobs'], [report('jobs', 'a'), report('jobs', 'b')], 1000);
    expect(t.component('jobs', [report('jobs', 'a'), report('jobs', 'b')], expected.get('jobs') ?? 0, at)).toMatchObject({ status: 'healthy', details: { instances: 2 } });
    expected = t.record(['jobs'], [report('jobs', 'a')], 2000);
    const one = t.component('jobs', [report('jobs', 'a')], expected.get('jobs') ?? 0, at);
    expect(one).toMatchObject({ status: 'degraded', error: '1 of 2 replicas answered', details: { instances: 1, expected_instances: 2 } });
    expected = t.record(['jobs'], [], 3000);
    expect(t.component('jobs', [], expected.get('jobs') ?? 0, at)).toMatchObject({ status: 'unhealthy', details: { instances: 0, expected_instances: 2 } });
  });

  it('forgets a larger replica count after the memory window (a scale-down)', () => {
    const t = new ReplicaTracker(policy);
    t.record(['jobs'], [report('jobs', 'a'), report('jobs', 'b')], 0);
    expect(t.record(['jobs'], [report('jobs', 'a')], 30_000).get('jobs')).toBe(2);
    expect(t.record(['jobs'], [report('jobs', 'a')], 61_000).get('jobs')).toBe(1);
  });

  it('stops expecting an instance that announced its shutdown, and only that one', () => {
    const t = new ReplicaTracker(policy);
    t.record(['jobs'], [report('jobs', 'a'), report('jobs', 'b'), report('jobs', 'c')], 0);
    t.forget('c', 1000);
    const expected = t.record(['jobs'], [report('jobs', 'a')], 2000).get('jobs') ?? 0;
    // c left on purpose; b vanished without a word and is still missed.
    expect(expected).toBe(2);
    expect(t.component('jobs', [report('jobs', 'a')], expected, at)).toMatchObject({ status: 'degraded', error: '1 of 2 replicas answered' });
    t.forget('b', 3000);
    expect(t.record(['jobs'], [report('jobs', 'a')], 4000).get('jobs')).toBe(1);
    expect(t.expected('jobs', 4000)).toBe(1);
  });

  it('does not count the answer of an instance that announced its shutdown while the round was gathered', () => {
    const t = new ReplicaTracker(policy);
    t.record(['jobs'], [report('jobs', 'only')], 0);
    // A ping under way when the last replica stopped: its answer arrives, then its announcement.
    const late = [report('jobs', 'only')];
    t.forget('only', 1000);
    const expected = t.record(['jobs'], late, 1500).get('jobs') ?? 0;
    expect(t.component('jobs', late, expected, at)).toMatchObject({ status: 'unhealthy', details: { instances: 0, expected_instances: 0 } });
  });

  it('reads a slow answer or a replica with failing checks as degraded, all failing as unhealthy', () => {
    const t = new ReplicaTracker(policy);
    expect(t.component('users', [report('users', 'a', HealthStatus.HEALTHY, 700)], 1, at)).toMatchObject({ status: 'degraded', error: 'slow: 700 ms' });
    expect(t.component('users', [report('users', 'a'), report('users', 'b', HealthStatus.UNHEALTHY)], 2, at).status).toBe('degraded');
    expect(t.component('users', [report('users', 'a', HealthStatus.UNHEALTHY)], 1, at).status).toBe('unhealthy');
  });
});

describe('TrafficWindow', () => {
  it('measures the figures over the window only', () => {
    const w = new TrafficWindow(60_000, { at: 0, requests: 0, errors: 0, seconds: 0 });
    w.add({ at: 30_000, requests: 100, errors: 10, seconds: 5 });
    w.add({ at: 60_000, requests: 160, errors: 10, seconds: 8 });
    w.add({ at: 90_000, requests: 220, errors: 13, seconds: 11 });
    // Over [30 s, 90 s]: 120 requests, 3 errors, 6 s of handling.
    expect(w.figures({ at: 90_000, requests: 220, errors: 13, seconds: 11 })).toEqual({
      window_seconds: 60,
      requests: 120,
      error_rate_percent: 2.5,
      avg_response_time_ms: 50,
      requests_per_minute: 120,
    });
  });

  it('answers zeros, not NaN, without traffic', () => {
    const w = new TrafficWindow(60_000, { at: 0, requests: 0, errors: 0, seconds: 0 });
    expect(w.figures({ at: 10_000, requests: 0, errors: 0, seconds: 0 })).toMatchObject({ requests: 0, error_rate_percent: 0, avg_response_time_ms: 0, requests_per_minute: 0 });
  });
});
