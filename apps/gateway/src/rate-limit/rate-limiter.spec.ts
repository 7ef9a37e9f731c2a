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
    expect(ds[3].resetAt).toBe(Math.floor(now / 60_000) * 60_000 + 60_000);
    now = ds[3].resetAt;
    expect(await rl.consume('u:c', 3)).toMatchObject({ allowed: true, remaining: 2 });
  });
});
