import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorFunction, type HealthIndicatorResult } from '@nestjs/terminus';
import { getDataSourceToken } from '@nestjs/typeorm';
import { BaseConfig } from '@vgp/config';
import { type ComponentHealth, HealthStatus } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { DataSource } from 'typeorm';
import { HealthChecksRegistry } from './health-checks.registry.js';

const STATUS: Record<string, HealthStatus> = { up: HealthStatus.HEALTHY, down: HealthStatus.UNHEALTHY, degraded: HealthStatus.DEGRADED };
const RANK: Record<string, number> = { [HealthStatus.HEALTHY]: 0, [HealthStatus.UNKNOWN]: 1, [HealthStatus.DEGRADED]: 2, [HealthStatus.UNHEALTHY]: 3 };

/** The worst of several statuses (unhealthy > degraded > unknown > healthy); healthy when empty. */
export function worstStatus(statuses: Iterable<string>): HealthStatus {
  let worst: HealthStatus = HealthStatus.HEALTHY;
  for (const s of statuses) if ((RANK[s] ?? 1) > RANK[worst]) worst = (s in RANK ? s : HealthStatus.UNKNOWN) as HealthStatus;
  return worst;
}

/**
 * The readiness checks of a service (NATS, PostgreSQL when the service has one, and whatever it
 * added to `HealthChecksRegistry`), each bounded by `HEALTH_CHECK_TIMEOUT_MS`. Terminus runs them
 * for `/health/ready`; `report()` runs them one by one, timed, for the health ping.
 */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly config: BaseConfig,
    private readonly nats: NatsClient,
    private readonly registry: HealthChecksRegistry,
    @Optional() @Inject(getDataSourceToken()) private readonly dataSource?: DataSource,
  ) {}

  indicators(): HealthIndicatorFunction[] {
    const timeout = this.config.HEALTH_CHECK_TIMEOUT_MS;
    const checks: HealthIndicatorFunction[] = [
      () =>
        this.indicator
          .check('nats')
          .attempt(async () => ({ rtt_ms: await this.nats.ping(timeout), server: this.nats.connection.getServer() }))
          .withTimeout(timeout),
    ];
    const ds = this.dataSource;
    if (ds) {
      checks.push(() =>
        this.indicator
          .check('database')
          .attempt(async () => {
            await ds.query('SELECT 1');
            return {};
          })
          .withTimeout(timeout),
      );
    }
    return [...checks, ...this.registry.all()];
  }

  /** Every check as a ComponentHealth with its measured response time; never throws. */
  async report(): Promise<Record<string, ComponentHealth>> {
    const timeout = this.config.HEALTH_CHECK_TIMEOUT_MS;
    const entries = await Promise.all(this.indicators().map((fn, i) => runIndicator(fn, i, timeout)));
    return Object.assign({}, ...entries);
  }
}

async function runIndicator(fn: HealthIndicatorFunction, index: number, timeoutMs: number): Promise<Record<string, ComponentHealth>> {
  const started = performance.now();
  const lastCheck = () => new Date().toISOString();
  const ms = () => Math.round((performance.now() - started) * 100) / 100;
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      // An indicator may answer a result, a promise of one, or a Terminus attempt (awaitable).
      Promise.resolve().then(async () => (await (typeof fn === 'function' ? fn() : fn)) as unknown as HealthIndicatorResult),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return toComponents(result, ms(), lastCheck());
  } catch (err) {
    // Older-style indicators throw a HealthCheckError whose `causes` carry the result.
    const causes = (err as { causes?: HealthIndicatorResult }).causes;
    if (causes && typeof causes === 'object') return toComponents(causes, ms(), lastCheck());
    return { [`check_${index}`]: { status: HealthStatus.UNHEALTHY, error: (err as Error).message, response_time_ms: ms(), last_check: lastCheck() } };
  } finally {
    clearTimeout(timer);
  }
}

function toComponents(result: HealthIndicatorResult, measuredMs: number, lastCheck: string): Record<string, ComponentHealth> {
  const out: Record<string, ComponentHealth> = {};
  for (const [key, value] of Object.entries(result ?? {})) {
    const { status, responseTime, message, ...details } = value as Record<string, unknown>;
    const c: ComponentHealth = {
      status: STATUS[String(status)] ?? HealthStatus.UNKNOWN,
      response_time_ms: typeof responseTime === 'number' ? responseTime : measuredMs,
      last_check: lastCheck,
    };
    if (status !== 'up' && message !== undefined) c.error = String(message);
    else if (message !== undefined) details.message = message;
    if (Object.keys(details).length) c.details = details;
    out[key] = c;
  }
  return out;
}
