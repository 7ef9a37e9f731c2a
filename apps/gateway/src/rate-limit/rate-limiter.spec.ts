import { describe, expect, it } from '@jest/globals';
import type { RateLimitReserveReply, RateLimitReserveRequest } from '@vgp/contracts';
import { type RateDecision, RateLimiter } from './rate-limiter.js';

/** The users service's reservation rule (never more than the limit per window), in memory. */
function sharedStore() {
  const used = new Map<string, number>();
  let calls = 0;
  const reserve = async (r: RateLimitReserveRequest): Promise<RateLimitReserveReply> => {
    calls++;
    await new Promise((res) => setTimeout(res, 1));
    const k = `${r.key}@${r.window_start}`;
    const before = used.get(k) ?? 0;
    used.set(k, before + r.n);
    const granted = Math.max(0, Math.min(r.n, r.limit - before));
    return { granted, used: Math.min(before + r.n, Math.max(r.limit, before + granted)) };
  };
  return { reserve, calls: () => calls };
}

const allowed = (ds: RateDecision[]) => ds.filter((d) => d.allowed).length;

describe('RateLimiter', () => {
  it('serves from its reservation synchronously, reserving again ahead of need', async () => {
    const store = sharedStore();
    const rl = new RateLimiter(store.reserve, { windowSeconds: 60 });
    const first = await rl.consume('u:a', 1000);
    expect(first).toMatchObject({ allowed: true, limit: 1000, remaining: 999 });
    let sync = 0;
    for (let i = 0; i < 200; i++) {
      const d = rl.consume('u:a', 1000);
      if (!(d instanceof Promise)) sync++;
      else await d;
      await new Promise((r) => setImmediate(r));
    }
    expect(sync).toBeGreaterThan(190);
    expect(store.calls()).toBeLessThan(20);
  });

  it('never lets replicas together exceed the limit of a window', async () => {
    const store = sharedStore();
    const replicas = [new RateLimiter(store.reserve, { windowSeconds: 3600 }), new RateLimiter(store.reserve, { windowSeconds: 3600 })];
    const ds = await Promise.all(Array.from({ length: 200 }, (_, i) => replicas[i % 2].consume('u:b', 70)));
    expect(allowed(ds)).toBe(70);
    expect(ds.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.limit === 70)).toBe(true);
  });

  it('counts alone, up to the limit, when the store does not answer', async () => {
    const errors: string[] = [];
    const rl = new RateLimiter(async () => Promise.reject(new Error('no responders')), { windowSeconds: 3600, onStoreError: (e) => errors.push(e.message) });
    const ds = await Promise.all(Array.from({ length: 15 }, () => rl.consume('ip:x', 10)));
    expect(allowed(ds)).toBe(10);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('starts a new window at the reset time', async () => {
    let now = 1_000_000_000_000;
    const store = sharedStore();
    const rl = new RateLimiter(store.reserve, { windowSeconds: 60, now: () => now });
    const ds = [];
    for (let i = 0; i < 4; i++) ds.push(await rl.consume('u:c', 3));
    expect(ds.map((d) => d.allowed)).toEqual([true, true, true, false]);
    // The window is the key's: it started at most 60 s ago and resets 60 s after it started.
    expect(ds[3].resetAt).toBe(rl.windowStart('u:c', now) + 60_000);
    expect(ds[3].resetAt).toBeGreaterThan(now);
    expect(ds[3].resetAt).toBeLessThanOrEqual(now + 60_000);
    now = ds[3].resetAt - 1;
    expect(await rl.consume('u:c', 3)).toMatchObject({ allowed: false, remaining: 0 });
    now = ds[3].resetAt;
    expect(await rl.consume('u:c', 3)).toMatchObject({ allowed: true, remaining: 2, resetAt: ds[3].resetAt + 60_000 });
  });

  it('reserves the next window of callers served as their window ends, together, so the turnover waits for nothing', async () => {
    let now = 1_000_000_000_000;
    const store = sharedStore();
    const asked: RateLimitReserveRequest[] = [];
    const reserve = (r: RateLimitReserveRequest) => (asked.push(r), store.reserve(r));
    const rl = new RateLimiter(reserve, { windowSeconds: 60, now: () => now, aheadMs: 10_000, aheadBatchMs: 20 });
    const keys = ['u:a', 'u:b', 'u:c'];
    // Each key's window (their phases differ).
    const w = Object.fromEntries(keys.map((k) => [k, rl.windowStart(k, now)]));
    // Early in their windows: one reservation each, none ahead.
    for (const k of keys) {
      now = w[k] + 1000;
      await rl.consume(k, 100);
    }
    expect(asked.map((r) => r.key)).toEqual(keys);
    // Each caller's last 10 s: its next window is reserved, all three in one later turn.
    for (const k of keys) {
      now = w[k] + 55_000;
      expect(rl.consume(k, 100)).toMatchObject({ allowed: true });
    }
    expect(asked).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(asked.slice(3).map((r) => [r.key, r.window_start])).toEqual(keys.map((k) => [k, w[k] + 60_000]));
    // At the turnover the first request is served from the reservation, synchronously.
    for (const k of keys) {
      now = w[k] + 60_000;
      const d = rl.consume(k, 100);
      expect(d).not.toBeInstanceOf(Promise);
      expect(d).toMatchObject({ allowed: true, limit: 100, remaining: 99, resetAt: w[k] + 120_000 });
    }
    expect(asked).toHaveLength(6);
  });

  it('reserves the next window once when the turnover comes before the reservations ahead are sent', async () => {
    let now = 1_000_000_000_000;
    const store = sharedStore();
    const rl = new RateLimiter(store.reserve, { windowSeconds: 60, now: () => now, aheadBatchMs: 30 });
    now = rl.windowStart('u:d', now) + 59_999;
    await rl.consume('u:d', 100);
    now += 1;
    expect(await rl.consume('u:d', 100)).toMatchObject({ allowed: true, remaining: 99 });
    const calls = store.calls();
    await new Promise((r) => setTimeout(r, 60));
    expect(store.calls()).toBe(calls);
  });

  it("spreads callers' window turnovers over the window instead of aligning them", () => {
    const rl = new RateLimiter(sharedStore().reserve, { windowSeconds: 60 });
    const now = 1_764_590_000_000;
    const phases = Array.from({ length: 1000 }, (_, i) => rl.windowStart(`user:user_${i}`, now) % 60_000);
    // Ten 6-second buckets of the minute each hold about a tenth of 1 000 callers.
    const buckets = Array.from({ length: 10 }, (_, b) => phases.filter((p) => Math.floor(p / 6000) === b).length);
    expect(Math.min(...buckets)).toBeGreaterThan(60);
    expect(Math.max(...buckets)).toBeLessThan(140);
    // The same key has the same windows on every replica and at every moment of a window.
    const other = new RateLimiter(sharedStore().reserve, { windowSeconds: 60 });
    const start = rl.windowStart('user:x', now);
    expect(other.windowStart('user:x', now)).toBe(start);
    expect(rl.windowStart('user:x', start)).toBe(start);
    expect(rl.windowStart('user:x', start + 59_999)).toBe(start);
    expect(rl.windowStart('user:x', start + 60_000)).toBe(start + 60_000);
  });
});
