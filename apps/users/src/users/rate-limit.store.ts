import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, type RateLimitReserveReply, type RateLimitReserveRequest } from '@vgp/contracts';
import type { DataSource } from 'typeorm';

const SWEEP_MS = 60_000;

/**
 * The shared side of the gateway's rate limits: one counter per key and fixed window. A replica
 * reserves `n` at once; the row lock serialises replicas, so the grants of one window never add
 * up to more than its limit.
 */
@Injectable()
export class RateLimitStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimitStore');
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async reserve(req: RateLimitReserveRequest): Promise<RateLimitReserveReply> {
    const ok =
      typeof req?.key === 'string' && req.key.length <= 200 &&
      Number.isSafeInteger(req.window_start) && Number.isInteger(req.window_seconds) && req.window_seconds > 0 &&
      Number.isInteger(req.n) && req.n > 0 && req.n <= 100_000 && Number.isInteger(req.limit) && req.limit > 0;
    if (!ok) throw AppError.validation([{ field: 'reservation', code: 'INVALID_VALUE', message: 'Invalid rate-limit reservation' }]);
    const rows: Array<{ used: number }> = await this.db.query(
      `INSERT INTO users.rate_limit_windows AS w (key, window_start, used, expires_at)
       VALUES ($1, $2::bigint, $3::int, to_timestamp(($2::bigint + $4::int * 1000) / 1000.0))
       ON CONFLICT (key, window_start) DO UPDATE SET used = w.used + EXCLUDED.used
       RETURNING used`,
      [req.key, req.window_start, req.n, req.window_seconds],
    );
    const used = rows[0].used;
    const before = used - req.n;
    const granted = Math.max(0, Math.min(req.n, req.limit - before));
    return { granted, used: Math.min(used, Math.max(req.limit, before + granted)) };
  }

  private async sweep(): Promise<void> {
    try {
      await this.db.query(`DELETE FROM users.rate_limit_windows WHERE expires_at < now() - interval '5 minutes'`);
    } catch (err) {
      this.logger.warn(`Sweeping rate-limit windows failed: ${(err as Error).message}`);
    }
  }
}
