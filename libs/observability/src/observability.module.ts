import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BaseConfig } from '@vgp/config';
import { NatsClient } from '@vgp/messaging';
import { HealthChecksRegistry } from './health-checks.registry.js';
import { HealthDetailsRegistry } from './health-details.registry.js';
import { HealthPingResponder } from './health-ping.responder.js';
import { HealthReportService } from './health-report.service.js';
import { HealthController } from './health.controller.js';
import { MetricNames } from './metric-names.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService, SERVICE_IDENTITY, type ServiceIdentity } from './metrics.service.js';
import { ReadinessService } from './readiness.service.js';
import { createServiceInstance, SERVICE_INSTANCE } from './service-instance.js';

/**
 * `/health/live`, `/health/ready` (Terminus) and `/metrics` (prom-client) for one service, and its
 * answer to the broadcast health ping (`system.v1.health.ping`).
 */
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
        {
          provide: MetricsService,
          inject: [SERVICE_IDENTITY, NatsClient],
          useFactory: (id: ServiceIdentity, nats: NatsClient) => {
            const metrics = new MetricsService(id);
            const requests = metrics.histogram(MetricNames.natsRequestDuration, 'Requests this service made to others over NATS, by subject and outcome', ['subject', 'outcome']);
            nats.observeRequests((subject, outcome, seconds) => requests.observe({ subject, outcome }, seconds));
            return metrics;
          },
        },
        { provide: SERVICE_INSTANCE, useFactory: () => createServiceInstance() },
        HealthChecksRegistry,
        HealthDetailsRegistry,
        ReadinessService,
        HealthReportService,
        HealthPingResponder,
      ],
      exports: [MetricsService, HealthChecksRegistry, HealthDetailsRegistry, ReadinessService, HealthReportService, SERVICE_IDENTITY, SERVICE_INSTANCE],
    };
  }
}
