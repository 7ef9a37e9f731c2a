import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type ComponentHealth, HealthStatus, type InstanceStoppingEvent, type JobStatsView, JobsSubjects, ServiceName, type SystemHealth, SystemSubjects } from '@vgp/contracts';
import type { Subscription } from '@nats-io/transport-node';
import { NatsClient } from '@vgp/messaging';
import { HealthDetailsRegistry, timed, worstStatus } from '@vgp/observability';
import { TokenVerifier } from '../auth/token-verifier.js';
import { GatewayConfig } from '../gateway.config.js';
import { hasAuthHealth } from './auth-health.indicator.js';
import { HealthPingCollector } from './health-ping.collector.js';
import { diskFigures } from './host-resources.js';
import { connectionFigures, monitorFigures } from './nats-figures.js';
import { type ReceivedReport, ReplicaTracker } from './replica-tracker.js';
import { publicHealth } from './public-errors.js';

const SERVICES = Object.values(ServiceName) as string[];
// A background round keeps the replica memory fresh even when nobody asks.
const BACKGROUND_PING_MS = 15_000;

export interface Gathered {
  reports: ReceivedReport[];
  expected: Map<string, number>;
  at: Date;
}

/**
 * `/system/health`: one component per service (from the broadcast health ping, replicas counted)
 * and per dependency (PostgreSQL, NATS, the job queue, blob storage, authentication), each raced
 * against its timeout; the overall status is the worst component's.
 */
@Injectable()
export class SystemHealthService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SystemHealth');
  private readonly tracker: ReplicaTracker;
  private timer?: NodeJS.Timeout;
  private cached?: { at: number; value: Promise<SystemHealth> };
  private gathering?: Promise<Gathered>;
  private stopping?: Subscription;

  constructor(
    private readonly config: GatewayConfig,
    private readonly nats: NatsClient,
    private readonly collector: HealthPingCollector,
    private readonly details: HealthDetailsRegistry,
    private readonly verifier: TokenVerifier,
  ) {
    this.tracker = new ReplicaTracker({
      memoryMs: config.SYSTEM_REPLICA_MEMORY_SECONDS * 1000,
      slowMs: config.SYSTEM_SLOW_RESPONSE_MS,
      windowMs: config.SYSTEM_HEALTH_WINDOW_MS,
    });
  }

  onApplicationBootstrap(): void {
    this.stopping = this.nats.subscribe<InstanceStoppingEvent>(SystemSubjects.instanceStopping, (e) => {
      if (typeof e?.instance_id === 'string') this.tracker.forget(e.instance_id);
      // The next /system/health gathers afresh instead of serving an answer that still counts it.
      this.cached = undefined;
    });
    this.timer = setInterval(() => void this.gather().catch((e: Error) => this.logger.warn(`Background health ping failed: ${e.message}`)), BACKGROUND_PING_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.stopping?.unsubscribe();
  }

  /** Every instance's report, gathered once for concurrent callers. */
  gather(): Promise<Gathered> {
    this.gathering ??= (async () => {
      const expectedBefore = new Map(SERVICES.map((s) => [s, this.tracker.expected(s)]));
      const reports = await this.collector.gather({ windowMs: this.config.SYSTEM_HEALTH_WINDOW_MS, expected: expectedBefore, subjectPrefix: this.config.NATS_SUBJECT_PREFIX });
      return { reports, expected: this.tracker.record(SERVICES, reports), at: new Date() };
    })().finally(() => (this.gathering = undefined));
    return this.gathering;
  }

  /**
   * The platform's health; answers from the last second are reused (the route is public). Anyone
   * gets the statuses, response times, counts and errors without addresses (`publicHealth`); a
   * caller who may read the system metrics (`full`) also gets the addresses, names, versions and
   * instance ids the details hold.
   */
  async health(full = false): Promise<SystemHealth> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.config.SYSTEM_HEALTH_CACHE_MS) {
      const value = this.compute();
      this.cached = { at: now, value };
      value.catch(() => (this.cached = undefined));
    }
    const h = await this.cached.value;
    return full ? h : publicHealth(h);
  }

  private async compute(): Promise<SystemHealth> {
    const [g, nats, queue, storage, auth] = await Promise.all([this.gather(), this.natsComponent(), this.queueComponent(), this.storageComponent(), this.authComponent()]);
    const lastCheck = g.at.toISOString();
    const components: Record<string, ComponentHealth> = {};
    for (const s of SERVICES) components[s] = this.tracker.component(s, g.reports, g.expected.get(s) ?? 0, lastCheck);
    components.postgresql = this.databaseComponent(g.reports, lastCheck);
    components.nats = nats;
    components.job_queue = queue;
    components.blob_storage = storage;
    components.authentication = auth;
    const started = g.reports.map((r) => Date.parse(r.report.started_at)).filter((t) => Number.isFinite(t));
    const worst = worstStatus(Object.values(components).map((c) => c.status));
    return {
      status: worst === HealthStatus.UNKNOWN ? HealthStatus.DEGRADED : worst,
      timestamp: new Date().toISOString(),
      uptime_seconds: started.length ? Math.max(0, Math.round((Date.now() - Math.min(...started)) / 1000)) : 0,
      components,
      version: this.config.APP_VERSION,
      environment: this.config.NODE_ENV,
    };
  }

  /** PostgreSQL as the services with a database see it: healthy when any of them reaches it. */
  databaseComponent(reports: readonly ReceivedReport[], lastCheck: string): ComponentHealth {
    const withDb = reports.filter((r) => r.report.checks?.database);
    if (!withDb.length) return { status: HealthStatus.UNKNOWN, error: 'No service with a database answered', last_check: lastCheck };
    const ok = withDb.filter((r) => r.report.checks.database.status === HealthStatus.HEALTHY);
    if (!ok.length) {
      const c = withDb[0].report.checks.database;
      return { status: HealthStatus.UNHEALTHY, error: c.error ?? 'No service reaches the database', response_time_ms: c.response_time_ms, last_check: c.last_check ?? lastCheck };
    }
    const best = ok.reduce((a, b) => ((a.report.checks.database.response_time_ms ?? Infinity) <= (b.report.checks.database.response_time_ms ?? Infinity) ? a : b));
    const check = best.report.checks.database;
    const figures = ok.map((r) => r.report.details?.database).find((d) => d && !d.error);
    const responseTime = check.response_time_ms ?? 0;
    const c: ComponentHealth = {
      status: responseTime > this.config.SYSTEM_SLOW_RESPONSE_MS ? HealthStatus.DEGRADED : HealthStatus.HEALTHY,
      response_time_ms: responseTime,
      last_check: check.last_check ?? lastCheck,
      details: {
        reported_by: best.report.service,
        services_reaching_it: ok.length,
        services_failing_to_reach_it: withDb.length - ok.length,
        ...(figures ? { connections: figures.connections, max_connections: figures.max_connections, size_bytes: figures.size_bytes, server_version: figures.server_version } : {}),
      },
    };
    if (c.status !== HealthStatus.HEALTHY) c.error = `slow: ${Math.round(responseTime)} ms`;
    return c;
  }

  async natsComponent(): Promise<ComponentHealth> {
    const timeout = this.config.HEALTH_CHECK_TIMEOUT_MS;
    const [rtt, monitor] = await Promise.all([timed(() => this.nats.ping(timeout), timeout), monitorFigures(this.config.NATS_MONITOR_URL, timeout)]);
    const last_check = new Date().toISOString();
    const details: Record<string, unknown> = { ...connectionFigures(this.nats.connection), connected_clients: monitor.figures?.connected_clients ?? null };
    if (monitor.figures) Object.assign(details, { subscriptions: monitor.figures.subscriptions, slow_consumers: monitor.figures.slow_consumers, server_memory_bytes: monitor.figures.server_memory_bytes });
    if (monitor.error) details.monitor_error = monitor.error;
    if (!rtt.ok) return { status: HealthStatus.UNHEALTHY, error: rtt.error, response_time_ms: rtt.response_time_ms, details, last_check };
    details.rtt_ms = rtt.value;
    const slow = rtt.response_time_ms > this.config.SYSTEM_SLOW_RESPONSE_MS;
    return { status: slow ? HealthStatus.DEGRADED : HealthStatus.HEALTHY, response_time_ms: rtt.response_time_ms, details, last_check, ...(slow ? { error: 'slow round trip' } : {}) };
  }

  /** The job queue from the jobs service's own figures; a backlog over the threshold is degraded. */
  async queueComponent(): Promise<ComponentHealth> {
    const timeout = this.config.HEALTH_CHECK_TIMEOUT_MS;
    const o = await timed(() => this.nats.request<JobStatsView>(JobsSubjects.stats, { window_minutes: 60 }, { timeoutMs: timeout }), timeout);
    const last_check = new Date().toISOString();
    if (!o.ok || !o.value) return { status: HealthStatus.UNHEALTHY, error: o.error ?? 'The jobs service did not answer', response_time_ms: o.response_time_ms, last_check };
    const s = o.value;
    const threshold = this.config.JOB_QUEUE_BACKLOG_THRESHOLD;
    const problems: string[] = [];
    if (s.queue_length > threshold) problems.push(`backlog: ${s.queue_length} queued jobs (threshold ${threshold})`);
    if (s.stuck_jobs > 0) problems.push(`${s.stuck_jobs} stuck jobs`);
    if (o.response_time_ms > this.config.SYSTEM_SLOW_RESPONSE_MS) problems.push('slow answer');
    return {
      status: problems.length ? HealthStatus.DEGRADED : HealthStatus.HEALTHY,
      response_time_ms: o.response_time_ms,
      last_check,
      ...(problems.length ? { error: problems.join('; ') } : {}),
      details: {
        queue_length: s.queue_length,
        by_priority: s.queue_by_priority,
        processing: s.jobs_by_status?.processing ?? null,
        stuck_jobs: s.stuck_jobs,
        oldest_queued_age_seconds: s.oldest_queued_age_seconds,
        backlog_threshold: threshold,
      },
    };
  }

  /** The blob store's file system: reachable and with free space above the minimum. */
  async storageComponent(): Promise<ComponentHealth> {
    const o = await timed(() => diskFigures(this.config.STORAGE_DIR), this.config.HEALTH_CHECK_TIMEOUT_MS);
    const last_check = new Date().toISOString();
    if (!o.ok || !o.value) return { status: HealthStatus.UNHEALTHY, error: o.error, response_time_ms: o.response_time_ms, last_check };
    const d = o.value;
    const low = d.free_percent < this.config.STORAGE_MIN_FREE_PERCENT;
    return {
      status: low ? HealthStatus.DEGRADED : HealthStatus.HEALTHY,
      response_time_ms: o.response_time_ms,
      last_check,
      ...(low ? { error: `only ${d.free_percent}% free` } : {}),
      details: { driver: 'local', initialized: d.exists, free_bytes: d.free_bytes, total_bytes: d.total_bytes, free_percent: d.free_percent, min_free_percent: this.config.STORAGE_MIN_FREE_PERCENT },
    };
  }

  /** Token verification: its own health when it offers one (JWKS reachable, keys loaded). */
  async authComponent(): Promise<ComponentHealth> {
    const v: unknown = this.verifier;
    const provider = this.details.get('authentication') ?? (hasAuthHealth(v) ? () => v.health() : undefined);
    const last_check = new Date().toISOString();
    const verifier = this.verifier.constructor.name;
    if (!provider) return { status: HealthStatus.HEALTHY, response_time_ms: 0, last_check, details: { initialized: true, verifier } };
    const o = await timed(provider, this.config.HEALTH_CHECK_TIMEOUT_MS);
    if (!o.ok) return { status: HealthStatus.UNHEALTHY, error: o.error, response_time_ms: o.response_time_ms, last_check, details: { initialized: false, verifier } };
    return { status: HealthStatus.HEALTHY, response_time_ms: o.response_time_ms, last_check, details: { initialized: true, verifier, ...o.value } };
  }
}
