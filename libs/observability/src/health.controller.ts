import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { getDataSourceToken } from '@nestjs/typeorm';
import { BaseConfig } from '@vgp/config';
import { NatsClient } from '@vgp/messaging';
import type { DataSource } from 'typeorm';
import { HealthChecksRegistry } from './health-checks.registry.js';
import { Public, RawResponse } from './public.decorator.js';

/** `/health/live`: the process answers. `/health/ready`: its dependencies answer within their timeout. */
@ApiExcludeController()
@Public()
@RawResponse()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly config: BaseConfig,
    private readonly nats: NatsClient,
    private readonly registry: HealthChecksRegistry,
    @Optional() @Inject(getDataSourceToken()) private readonly dataSource?: DataSource,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
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
    return this.health.check([...checks, ...this.registry.all()]);
  }
}
