import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { BaseConfig } from '@vgp/config';
import { type InstanceStoppingEvent, SystemSubjects } from '@vgp/contracts';
import { encodeReply, NatsClient, toWireError } from '@vgp/messaging';
import { HealthReportService } from './health-report.service.js';
import { MetricsService, SERVICE_IDENTITY, type ServiceIdentity } from './metrics.service.js';
import { SERVICE_INSTANCE, type ServiceInstance } from './service-instance.js';

/**
 * Answers the broadcast `system.v1.health.ping` on every instance (a plain subscription without
 * queue group on the process's NATS connection, so each replica replies with its own report).
 * On a graceful shutdown it stops answering and announces `system.v1.instance.stopping`, so the
 * gateways no longer count the instance among the replicas they expect (a scale-down is not an
 * outage); an instance that dies without a word is still expected, and missed.
 */
@Injectable()
export class HealthPingResponder implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('HealthPingResponder');
  private sub?: Subscription;

  constructor(
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(SERVICE_INSTANCE) private readonly instance: ServiceInstance,
    private readonly nats: NatsClient,
    private readonly config: BaseConfig,
    private readonly reports: HealthReportService,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    const subject = SystemSubjects.healthPing;
    this.sub = this.nats.connection.subscribe(this.config.NATS_SUBJECT_PREFIX + subject, {
      callback: (err, msg) => {
        if (err) return this.logger.warn(`Health ping subscription: ${err.message}`);
        if (!msg.reply) return;
        const started = process.hrtime.bigint();
        this.reports.report().then(
          (report) => this.reply(msg, encodeReply({ d: report }), 'ok', started),
          (e: unknown) => this.reply(msg, encodeReply({ e: toWireError(e) }), 'error', started),
        );
      },
    });
  }

  private reply(msg: { respond(data: string): boolean }, data: string, outcome: 'ok' | 'error', started: bigint): void {
    try {
      msg.respond(data);
    } catch (e) {
      this.logger.warn(`Health ping not answered: ${(e as Error).message}`);
    }
    this.metrics.natsHandlerDuration.observe({ subject: SystemSubjects.healthPing, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /** After the ping subscription is gone, before the NATS connection drains (which sends it). */
  async beforeApplicationShutdown(): Promise<void> {
    const event: InstanceStoppingEvent = { service: this.identity.service, instance_id: this.instance.instance_id };
    this.nats.publish(SystemSubjects.instanceStopping, event);
  }
}
