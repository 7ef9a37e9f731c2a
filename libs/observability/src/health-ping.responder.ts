import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { BaseConfig } from '@vgp/config';
import { SystemSubjects } from '@vgp/contracts';
import { encodeReply, NatsClient, toWireError } from '@vgp/messaging';
import { HealthReportService } from './health-report.service.js';
import { MetricsService } from './metrics.service.js';

/**
 * Answers the broadcast `system.v1.health.ping` on every instance (a plain subscription without
 * queue group on the process's NATS connection, so each replica replies with its own report).
 */
@Injectable()
export class HealthPingResponder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('HealthPingResponder');
  private sub?: Subscription;

  constructor(
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
  }
}
