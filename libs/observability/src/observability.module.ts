import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BaseConfig } from '@vgp/config';
import { HealthChecksRegistry } from './health-checks.registry.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService, SERVICE_IDENTITY, type ServiceIdentity } from './metrics.service.js';

/** `/health/live`, `/health/ready` (Terminus) and `/metrics` (prom-client) for one service. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [TerminusModule.forRoot({ logger: false, gracefulShutdownTimeoutMs: 0 })],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_IDENTITY, inject: [BaseConfig], useFactory: (c: BaseConfig): ServiceIdentity => ({ service, version: c.APP_VERSION }) },
        { provide: MetricsService, inject: [SERVICE_IDENTITY], useFactory: (id: ServiceIdentity) => new MetricsService(id) },
        HealthChecksRegistry,
      ],
      exports: [MetricsService, HealthChecksRegistry, SERVICE_IDENTITY],
    };
  }
}
