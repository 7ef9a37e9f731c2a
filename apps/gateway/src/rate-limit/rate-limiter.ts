import type { RateLimitReserveReply, RateLimitReserveRequest } from '@vgp/contracts';

/** The outcome of one request against its caller's window. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the window resets, epoch milliseconds. */
  resetAt: number;
}

export type ReserveFn = (req: RateLimitReserveRequest) => Promise<RateLimitReserveReply>;

interface Bucket {
  start: number;
  limit: number;
  /** Requests reserved in the shared store and not yet served by this replica. */
  tokens: number;
  /** Reserved by every replica in this window, as of our last reservation. */
  knownUsed: number;
  /** Served by this replica in this window. */
  served: number;
  exhausted: boolean;
  /** The store did not answer: count locally for the rest of the window. */
  local: boolean;
  pending?: Promise<void>;
  /** Requests of this replica waiting for a reservation. */
  waiting: number;
  /** The caller's next window, reserved ahead while this one ends (see `reserveAhead`). */
  next?: Bucket;
}

export interface RateLimiterOptions {
  windowSeconds: number;
  /** Largest reservation (requests taken from the store at once). */
  maxChunk?: number;
  now?: () => number;
  onStoreError?: (err: Error) => void;
  /**
   * A caller served in the last `aheadMs` of its window has the next window reserved before it
   * starts (default 10 s), in reservations sent together every `aheadBatchMs` (default 250 ms).
   */
  aheadMs?: number;
  aheadBatchMs?: number;
}

/**
 * Fixed-window limits shared by every gateway replica without a round trip per request. A replica
 * reserves a slice of a caller's window from the shared store and serves requests from it in
 * memory; it fetches the next slice in the background when the slice runs low, so the hot path
 * is a map lookup. The store never grants more than the limit in a window in total, so replicas
 * together never exceed it; near the limit the slices shrink to one request. A caller served in
 * the last seconds of its window has its next window reserved before it starts, so its requests do
 * not wait at the turnover either. If the store does not answer, a replica counts alone for the
 * rest of the window (fails open, never closed).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly windowMs: number;
  private readonly maxChunk: number;
  private readonly now: () => number;
  private readonly aheadMs: number;
  private readonly aheadBatchMs: number;
  private lastPrune = 0;
  /** Next windows waiting to be reserved ahead, sent together by one timer. */
  private ahead: Array<{ key: string; b: Bucket }> = [];
  private aheadTimer?: NodeJS.Timeout;

  constructor(
    private readonly reserve: ReserveFn,
    private readonly o: RateLimiterOptions,
  ) {
    this.windowMs = o.windowSeconds * 1000;
    this.maxChunk = o.maxChunk ?? 1000;
    this.now = o.now ?? Date.now;
    this.aheadMs = Math.min(o.aheadMs ?? 10_000, this.windowMs / 2);
    this.aheadBatchMs = o.aheadBatchMs ?? 250;
  }

  /** Counts one request of `key`; synchronous unless this replica must reserve first. */
  consume(key: string, limit: number): RateDecision | Promise<RateDecision> {
    const now = this.now();
    if (now - this.lastPrune > this.windowMs) this.prune(now);
    let b = this.buckets.get(key);
    if (!b || now >= b.start + this.windowMs || now < b.start || b.limit !== limit) {
      const start = this.windowStart(key, now);
      const next = b?.next;
      b = next && next.start === start && next.limit === limit ? next : this.bucket(start, limit);
      this.buckets.set(key, b);
    }
    if (!b.next && !b.local && now >= b.start + this.windowMs - this.aheadMs) this.reserveAhead(key, b);
    const fast = this.take(key, b);
    if (fast) return fast;
    return this.wait(key, b);
  }

  private bucket(start: number, limit: number): Bucket {
    return { start, limit, tokens: 0, knownUsed: 0, served: 0, exhausted: false, local: false, waiting: 0 };
  }

  /**
   * Reserves `b`'s caller's next window before it starts: at the turnover its first requests are
   * then served at once instead of waiting for a reservation, and the reservations of every caller
   * whose window ends soon travel together (a few messages a second instead of one per caller).
   * A caller who does not come back has spent one slice of that window's limit.
   */
  private reserveAhead(key: string, b: Bucket): void {
    b.next = this.bucket(b.start + this.windowMs, b.limit);
    this.ahead.push({ key, b: b.next });
    if (this.aheadTimer) return;
    this.aheadTimer = setTimeout(() => {
      this.aheadTimer = undefined;
      const due = this.ahead;
      this.ahead = [];
      // A turnover that came first has already reserved (or is reserving) the window.
      for (const a of due) if (!a.b.pending && a.b.tokens === 0 && !a.b.exhausted && !a.b.local) void this.fill(a.key, a.b);
    }, this.aheadBatchMs);
    this.aheadTimer.unref?.();
  }

  private async wait(key: string, b: Bucket): Promise<RateDecision> {
    b.waiting++;
    try {
      for (;;) {
        await this.fill(key, b);
        const d = this.take(key, b);
        if (d) return d;
      }
    } finally {
      b.waiting--;
    }
  }

  private take(key: string, b: Bucket): RateDecision | undefined {
    if (b.tokens > 0) {
      b.tokens--;
      b.served++;
      // Refill ahead of need, so the next requests do not wait.
      if (!b.exhausted && !b.pending && b.tokens < this.chunk(b) / 2) void this.fill(key, b);
      return { allowed: true, limit: b.limit, remaining: this.remaining(b), resetAt: b.start + this.windowMs };
    }
    if (b.exhausted) return this.deny(b);
    return undefined;
  }

  private deny(b: Bucket): RateDecision {
    return { allowed: false, limit: b.limit, remaining: 0, resetAt: b.start + this.windowMs };
  }

  private remaining(b: Bucket): number {
    const consumed = b.local ? b.served : Math.max(b.served, b.knownUsed - b.tokens);
    return Math.max(0, b.limit - consumed);
  }

  private chunk(b: Bucket): number {
    const base = Math.max(1, Math.min(this.maxChunk, Math.floor(b.limit / 20)));
    const left = b.limit - b.knownUsed;
    // Small slices near the limit leave the rest to other replicas; requests already waiting here get theirs.
    return Math.max(1, Math.min(base, Math.floor(left / 2)), Math.min(b.waiting, left, this.maxChunk));
  }

  private fill(key: string, b: Bucket): Promise<void> {
    if (b.pending) return b.pending;
    if (b.local) {
      const n = Math.min(this.chunk(b), b.limit - b.served - b.tokens);
      if (n > 0) b.tokens += n;
      else b.exhausted = true;
      return Promise.resolve();
    }
    const n = this.chunk(b);
    b.pending = this.reserve({ key, window_start: b.start, window_seconds: this.o.windowSeconds, n, limit: b.limit })
      .then(
        (r) => {
          b.tokens += r.granted;
          b.knownUsed = Math.max(b.knownUsed, r.used);
          if (r.granted < n) b.exhausted = true;
        },
        (err: Error) => {
          this.o.onStoreError?.(err);
          b.local = true;
          const m = Math.min(n, b.limit - b.served - b.tokens);
          if (m > 0) b.tokens += m;
          else b.exhausted = true;
        },
      )
      .finally(() => {
        b.pending = undefined;
      });
    return b.pending;
  }

  /**
   * The start of `key`'s window at `now`. Each key's windows are offset by a fixed share of the
   * window (a hash of the key), so callers' windows do not all turn over at the same instant:
   * with aligned windows every active caller needed a new reservation in the same second, once a
   * minute. Every replica computes the same offset, so they share the key's windows in the store.
   */
  windowStart(key: string, now: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    // FNV-1a, then murmur3's finaliser: keys that differ in their last characters spread evenly.
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    // Whole seconds, so resets fall on the second that X-RateLimit-Reset names.
    const phase = ((h >>> 0) % Math.max(1, Math.floor(this.windowMs / 1000))) * 1000;
    return Math.floor((now - phase) / this.windowMs) * this.windowMs + phase;
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [k, b] of this.buckets) {
      if (b.start + this.windowMs > now || b.pending) continue;
      // A window reserved ahead takes the place of the one that ended.
      if (b.next && b.next.start + this.windowMs > now) this.buckets.set(k, b.next);
      else this.buckets.delete(k);
    }
  }

  /** Buckets held in memory (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }
}
