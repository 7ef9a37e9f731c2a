import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type JobStatsView, JobsSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricsService, timed } from '@vgp/observability';
import { GatewayConfig } from '../gateway.config.js';
import { CpuSampler, systemResources } from './host-resources.js';
import { connectionFigures, monitorFigures } from './nats-figures.js';
import { SystemHealthService } from './system-health.service.js';
import { readTotals, round, TrafficWindow } from './traffic-window.js';

const SNAPSHOT_MS = 5_000;
const MB = 1024 * 1024;

/**
 * `/system/metrics`: the spec's structure, every figure measured. The spec's `redis_metrics` (no
 * Redis here) is replaced by `message_bus_metrics` (NATS) and `database_metrics` (PostgreSQL).
 */
@Injectable()
export class SystemMetricsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cpu = new CpuSampler();
  private window?: TrafficWindow;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: GatewayConfig,
    private readonly nats: NatsClient,
    private readonly registry: MetricsService,
    private readonly health: SystemHealthService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.window = new TrafficWindow(this.config.SYSTEM_METRICS_WINDOW_SECONDS * 1000, await readTotals(this.registry.httpRequestDuration));
    this.timer = setInterval(() => void readTotals(this.registry.httpRequestDuration).then((t) => this.window?.add(t)), SNAPSHOT_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async collect(): Promise<Record<string, unknown>> {
    const [resources, bus, database, jobs, performance] = await Promise.all([
      systemResources(this.cpu, this.config.STORAGE_DIR, this.config.HEALTH_CHECK_TIMEOUT_MS),
      this.messageBus(),
      this.database(),
      this.jobs(),
      this.performance(),
    ]);
    return { timestamp: new Date().toISOString(), system_resources: resources, message_bus_metrics: bus, database_metrics: database, job_metrics: jobs, performance_metrics: performance };
  }

  private async messageBus(): Promise<Record<string, unknown>> {
    const timeout = this.config.HEALTH_CHECK_TIMEOUT_MS;
    const [rtt, monitor] = await Promise.all([timed(() => this.nats.ping(timeout), timeout), monitorFigures(this.config.NATS_MONITOR_URL, timeout)]);
    const conn = connectionFigures(this.nats.connection);
    const m = monitor.figures;
    return {
      source: m ? 'nats-monitoring' : 'gateway-connection',
      server_version: conn.server_version,
      jetstream: conn.jetstream,
      rtt_ms: rtt.ok ? round(Number(rtt.value), 2) : null,
      connected_clients: m?.connected_clients ?? null,
      subscriptions: m?.subscriptions ?? null,
      slow_consumers: m?.slow_consumers ?? null,
      memory_used_mb: typeof m?.server_memory_bytes === 'number' ? round(m.server_memory_bytes / MB, 1) : null,
      // Server-wide with the monitoring endpoint, else this gateway's own connection.
      messages_in: m?.messages_in ?? conn.connection_messages_in,
      messages_out: m?.messages_out ?? conn.connection_messages_out,
      bytes_in: m?.bytes_in ?? conn.connection_bytes_in,
      bytes_out: m?.bytes_out ?? conn.connection_bytes_out,
      ...(monitor.error ? { monitor_error: monitor.error } : {}),
    };
  }

  private async database(): Promise<Record<string, unknown> | null> {
    const { reports } = await this.health.gather();
    const d = reports.map((r) => r.report.details?.database).find((x) => x && !x.error);
    if (!d) return null;
    return {
      server_version: d.server_version,
      size_mb: typeof d.size_bytes === 'number' ? round(d.size_bytes / MB, 1) : null,
      connections: d.connections,
      max_connections: d.max_connections,
      transactions_committed: d.transactions_committed,
      transactions_rolled_back: d.transactions_rolled_back,
      cache_hit_percent: d.cache_hit_percent,
      blocks_hit: d.blocks_hit,
      blocks_read: d.blocks_read,
      deadlocks: d.deadlocks,
    };
  }

  private async jobs(): Promise<Record<string, unknown> | null> {
    const window = this.config.SYSTEM_METRICS_JOB_WINDOW_MINUTES;
    const o = await timed(() => this.nats.request<JobStatsView>(JobsSubjects.stats, { window_minutes: window }), this.config.RPC_TIMEOUT_MS);
    if (!o.ok || !o.value) return null;
    const s = o.value;
    return {
      queue_length: s.queue_length,
      queue_by_priority: s.queue_by_priority,
      jobs_by_status: s.jobs_by_status,
      processing_metrics: {
        avg_processing_time_minutes: s.avg_processing_time_minutes,
        success_rate_percent: s.success_rate_percent,
        window_minutes: s.window_minutes,
      },
      stuck_jobs: s.stuck_jobs,
      oldest_queued_age_seconds: s.oldest_queued_age_seconds,
    };
  }

  private async performance(): Promise<Record<string, unknown>> {
    const now = await readTotals(this.registry.httpRequestDuration);
    return { ...(this.window ? this.window.figures(now) : { window_seconds: 0, requests: 0, error_rate_percent: 0, avg_response_time_ms: 0, requests_per_minute: 0 }) };
  }
}
