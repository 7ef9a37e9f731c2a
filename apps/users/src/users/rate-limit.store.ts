import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, type RateLimitReserveReply, type RateLimitReserveRequest } from '@vgp/contracts';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

const SWEEP_MS = 60_000;
// Reservations of one event-loop turn share a statement, up to this many rows.
const GROUP_MAX = 500;

/**
 * The reservations of a turn, one row per key and window ($1-$4: keys, window starts, requests,
 * window lengths), locked in the order given. A named statement, prepared once per connection:
 * parsed and planned for every group, it cost PostgreSQL 133 µs instead of 55 µs.
 */
const RESERVE_STATEMENT = 'users_rate_limit_reserve';
const RESERVE_SQL = `INSERT INTO users.rate_limit_windows AS w (key, window_start, used, expires_at)
  SELECT t.key, t.start, t.n, to_timestamp((t.start + t.seconds * 1000) / 1000.0)
  FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[]) WITH ORDINALITY AS t(key, start, n, seconds, i)
  ORDER BY t.i
  ON CONFLICT (key, window_start) DO UPDATE SET used = w.used + EXCLUDED.used
  RETURNING w.key, w.window_start, w.used`;

interface Pending {
  req: RateLimitReserveRequest;
  resolve: (r: RateLimitReserveReply) => void;
  reject: (err: unknown) => void;
}

/** The reply of a reservation that found `before` already used in its window. */
export function grant(req: Pick<RateLimitReserveRequest, 'n' | 'limit'>, before: number): RateLimitReserveReply {
  const used = before + req.n;
  const granted = Math.max(0, Math.min(req.n, req.limit - before));
  return { granted, used: Math.min(used, Math.max(req.limit, before + granted)) };
}

/**
 * The shared side of the gateway's rate limits: one counter per key and fixed window. A replica
 * reserves `n` at once; the row lock serialises replicas, so the grants of one window never add
 * up to more than its limit. The reservations that arrive in one event-loop turn (a gateway sends
 * them as one batched message) are stored by one statement: one row per key and window with the
 * sum of their requests, locked in key order (two users replicas never wait on each other in
 * opposite orders); each reservation is then answered as if they had run one after another, in
 * the order they arrived.
 */
@Injectable()
export class RateLimitStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimitStore');
  private timer?: NodeJS.Timeout;
  private pending: Pending[] = [];
  private flushing = false;

  /** The pool TypeORM opened, used directly on the hot path (named statements, no query runner). */
  private readonly pool: pg.Pool;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.pool = (db.driver as unknown as { master: pg.Pool }).master;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  reserve(req: RateLimitReserveRequest): Promise<RateLimitReserveReply> {
    const ok =
      typeof req?.key === 'string' && req.key.length <= 200 &&
      Number.isSafeInteger(req.window_start) && Number.isInteger(req.window_seconds) && req.window_seconds > 0 &&
      Number.isInteger(req.n) && req.n > 0 && req.n <= 100_000 && Number.isInteger(req.limit) && req.limit > 0;
    if (!ok) return Promise.reject(AppError.validation([{ field: 'reservation', code: 'INVALID_VALUE', message: 'Invalid rate-limit reservation' }]));
    return new Promise((resolve, reject) => {
      this.pending.push({ req, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const group = this.pending.splice(0, GROUP_MAX);
        try {
          await this.store(group);
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async store(group: Pending[]): Promise<void> {
    // One row per key and window, with what its reservations ask for together.
    const rows = new Map<string, { key: string; start: number; seconds: number; n: number; items: Pending[] }>();
    for (const p of group) {
      const id = `${p.req.window_start}:${p.req.key}`;
      const row = rows.get(id);
      if (row) {
        row.n += p.req.n;
        row.items.push(p);
      } else rows.set(id, { key: p.req.key, start: p.req.window_start, seconds: p.req.window_seconds, n: p.req.n, items: [p] });
    }
    const list = [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start));
    const { rows: stored } = await this.pool.query<{ key: string; window_start: string; used: number }>({
      name: RESERVE_STATEMENT,
      text: RESERVE_SQL,
      values: [list.map((r) => r.key), list.map((r) => r.start), list.map((r) => r.n), list.map((r) => r.seconds)],
    });
    for (const r of stored) {
      const row = rows.get(`${r.window_start}:${r.key}`);
      if (!row) continue;
      rows.delete(`${r.window_start}:${r.key}`);
      let before = r.used - row.n;
      for (const p of row.items) {
        p.resolve(grant(p.req, before));
        before += p.req.n;
      }
    }
    if (rows.size) throw new Error(`${rows.size} rate-limit windows were not stored`);
  }

  private async sweep(): Promise<void> {
    try {
      await this.db.query(`DELETE FROM users.rate_limit_windows WHERE expires_at < now() - interval '5 minutes'`);
    } catch (err) {
      this.logger.warn(`Sweeping rate-limit windows failed: ${(err as Error).message}`);
    }
  }
}
