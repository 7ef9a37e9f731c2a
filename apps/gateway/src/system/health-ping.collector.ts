import { Injectable, Logger } from '@nestjs/common';
import { createInbox } from '@nats-io/transport-node';
import { type ServiceHealthReport, SystemSubjects } from '@vgp/contracts';
import { NatsClient, type WireReply } from '@vgp/messaging';
import type { ReceivedReport } from './replica-tracker.js';

export interface GatherOptions {
  /** The longest the gathering lasts. */
  windowMs: number;
  /** Stop early once every service has answered with at least this many instances. */
  expected?: ReadonlyMap<string, number>;
  subjectPrefix: string;
}

/**
 * Broadcasts `system.v1.health.ping` and gathers every instance's report for a short window
 * (one request, many replies on one inbox), ending early when all expected replicas answered.
 */
@Injectable()
export class HealthPingCollector {
  private readonly logger = new Logger('HealthPingCollector');

  constructor(private readonly nats: NatsClient) {}

  async gather(o: GatherOptions): Promise<ReceivedReport[]> {
    const nc = this.nats.connection;
    if (nc.isClosed()) return [];
    const inbox = createInbox();
    const started = performance.now();
    const received: ReceivedReport[] = [];
    return new Promise<ReceivedReport[]>((resolve) => {
      let done = false;
      const sub = nc.subscribe(inbox, {
        callback: (err, msg) => {
          if (err || done) return;
          try {
            const reply = msg.json<WireReply<ServiceHealthReport>>();
            if (reply.d && typeof reply.d.service === 'string') received.push({ report: reply.d, response_time_ms: Math.round((performance.now() - started) * 100) / 100 });
          } catch {
            this.logger.warn('An unreadable health report was ignored');
          }
          if (o.expected?.size && complete(o.expected, received)) finish();
        },
      });
      const timer = setTimeout(() => finish(), o.windowMs);
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(received);
      };
      try {
        nc.publish(o.subjectPrefix + SystemSubjects.healthPing, '{}', { reply: inbox });
      } catch (err) {
        this.logger.warn(`Health ping not sent: ${(err as Error).message}`);
        finish();
      }
    });
  }
}

function complete(expected: ReadonlyMap<string, number>, received: readonly ReceivedReport[]): boolean {
  for (const [service, n] of expected) {
    if (n <= 0) return false;
    const got = new Set(received.filter((r) => r.report.service === service).map((r) => r.report.instance_id)).size;
    if (got < n) return false;
  }
  return true;
}
