import { Inject, Injectable, Optional } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { BaseConfig } from '@vgp/config';
import type { ServiceHealthReport } from '@vgp/contracts';
import type { DataSource } from 'typeorm';
import { databaseDetails } from './database-details.js';
import { HealthDetailsRegistry } from './health-details.registry.js';
import { SERVICE_IDENTITY, type ServiceIdentity } from './metrics.service.js';
import { ReadinessService, worstStatus } from './readiness.service.js';
import { SERVICE_INSTANCE, type ServiceInstance } from './service-instance.js';
import { timed } from './timed.js';

/**
 * This instance's answer to `system.v1.health.ping`: identity, uptime, readiness checks with their
 * response times, and the details of every registered provider (plus the database figures when
 * the service has one, and the process's own).
 */
@Injectable()
export class HealthReportService {
  constructor(
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(SERVICE_INSTANCE) private readonly instance: ServiceInstance,
    private readonly config: BaseConfig,
    private readonly readiness: ReadinessService,
    private readonly details: HealthDetailsRegistry,
    @Optional() @Inject(getDataSourceToken()) private readonly dataSource?: DataSource,
  ) {}

  async report(): Promise<ServiceHealthReport> {
    const timeout = this.config.HEALTH_CHECK_TIMEOUT_MS;
    const providers = this.details.entries();
    const ds = this.dataSource;
    if (ds && !this.details.has('database')) providers.push(['database', () => databaseDetails(ds)]);
    const [checks, ...outcomes] = await Promise.all([this.readiness.report(), ...providers.map(([, p]) => timed(p, timeout))]);
    const details: Record<string, any> = { process: processDetails(this.instance) };
    providers.forEach(([name], i) => {
      const o = outcomes[i];
      details[name] = o.ok ? { ...o.value, response_time_ms: o.response_time_ms } : { error: o.error, response_time_ms: o.response_time_ms };
    });
    return {
      service: this.identity.service,
      instance_id: this.instance.instance_id,
      version: this.identity.version,
      started_at: this.instance.started_at.toISOString(),
      uptime_seconds: Math.round((Date.now() - this.instance.started_at.getTime()) / 100) / 10,
      status: worstStatus(Object.values(checks).map((c) => c.status)),
      checks,
      details,
    };
  }
}

function processDetails(instance: ServiceInstance): Record<string, unknown> {
  const mem = process.memoryUsage();
  return {
    hostname: instance.hostname,
    pid: process.pid,
    node_version: process.version,
    rss_bytes: mem.rss,
    heap_used_bytes: mem.heapUsed,
  };
}
