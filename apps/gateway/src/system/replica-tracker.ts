import { type ComponentHealth, HealthStatus, type ServiceHealthReport } from '@vgp/contracts';
import { worstStatus } from '@vgp/observability';

/** A report as received by the gateway, with the time its first byte took to come back. */
export interface ReceivedReport {
  report: ServiceHealthReport;
  response_time_ms: number;
}

export interface ReplicaPolicy {
  /** How long the largest number of replicas seen at once is remembered. */
  memoryMs: number;
  /** An instance answering slower than this is degraded. */
  slowMs: number;
  windowMs: number;
}

/**
 * Remembers which instances of each service answered each health ping, so that "one replica of
 * two is gone" can be told from "there was only ever one". Expected replicas = the most that
 * answered one ping within the memory window, not counting instances that announced a graceful
 * shutdown (`forget`): a scale-down or a rolling update reads healthy at once, while an instance
 * that vanished without a word reads degraded until the window has passed.
 */
export class ReplicaTracker {
  private readonly rounds = new Map<string, { at: number; instances: string[] }[]>();
  // Instances that said they were stopping, and when.
  private readonly departed = new Map<string, number>();

  constructor(private readonly policy: ReplicaPolicy) {}

  /** An instance shut down on purpose: no longer expected. */
  forget(instanceId: string, now = Date.now()): void {
    this.departed.set(instanceId, now);
  }

  /** Records one gathering round and answers how many replicas each service is expected to have. */
  record(services: readonly string[], reports: readonly ReceivedReport[], now = Date.now()): Map<string, number> {
    for (const [id, at] of this.departed) if (now - at > this.policy.memoryMs) this.departed.delete(id);
    const expected = new Map<string, number>();
    for (const service of services) {
      const instances = [...new Set(reports.filter((r) => r.report.service === service).map((r) => r.report.instance_id))];
      const kept = (this.rounds.get(service) ?? []).filter((r) => now - r.at <= this.policy.memoryMs);
      kept.push({ at: now, instances });
      this.rounds.set(service, kept);
      expected.set(service, this.most(kept));
    }
    return expected;
  }

  /** The most replicas of `service` seen at once lately, less the departed (0 when never seen). */
  expected(service: string, now = Date.now()): number {
    return this.most((this.rounds.get(service) ?? []).filter((r) => now - r.at <= this.policy.memoryMs));
  }

  private most(rounds: readonly { instances: string[] }[]): number {
    let most = 0;
    for (const r of rounds) most = Math.max(most, r.instances.filter((id) => !this.departed.has(id)).length);
    return most;
  }

  /**
   * One service's component from the reports of its instances. An instance that announced its
   * shutdown is not counted, even when its answer came in the round gathered meanwhile (a ping
   * under way when the last replica stopped read the service as healthy).
   */
  component(service: string, reports: readonly ReceivedReport[], expected: number, lastCheck: string): ComponentHealth {
    const mine = reports.filter((r) => r.report.service === service && !this.departed.has(r.report.instance_id));
    const instances = mine.map(({ report: r, response_time_ms }) => ({
      instance_id: r.instance_id,
      version: r.version,
      status: r.status,
      started_at: r.started_at,
      uptime_seconds: r.uptime_seconds,
      response_time_ms,
      checks: Object.fromEntries(Object.entries(r.checks ?? {}).map(([k, c]) => [k, { status: c.status, response_time_ms: c.response_time_ms, ...(c.error ? { error: c.error } : {}) }])),
    }));
    const expectedInstances = Math.max(expected, instances.length);
    const details: Record<string, any> = { instances: instances.length, expected_instances: expectedInstances, replicas: instances };
    if (!instances.length) {
      return { status: HealthStatus.UNHEALTHY, error: `No instance answered within ${this.policy.windowMs} ms`, details, last_check: lastCheck };
    }
    const responseTime = Math.min(...instances.map((i) => i.response_time_ms));
    const healthy = instances.filter((i) => i.status === HealthStatus.HEALTHY);
    const problems: string[] = [];
    let status: HealthStatus = HealthStatus.HEALTHY;
    if (!healthy.length) {
      status = worstStatus(instances.map((i) => i.status));
      problems.push('no instance is healthy');
    } else if (healthy.length < instances.length) {
      status = HealthStatus.DEGRADED;
      problems.push(`${instances.length - healthy.length} of ${instances.length} instances report problems`);
    }
    if (instances.length < expectedInstances) {
      status = worstStatus([status, HealthStatus.DEGRADED]);
      problems.push(`${instances.length} of ${expectedInstances} replicas answered`);
    }
    if (responseTime > this.policy.slowMs) {
      status = worstStatus([status, HealthStatus.DEGRADED]);
      problems.push(`slow: ${Math.round(responseTime)} ms`);
    }
    const c: ComponentHealth = { status, response_time_ms: responseTime, details, last_check: lastCheck };
    if (problems.length) c.error = problems.join('; ');
    return c;
  }
}
