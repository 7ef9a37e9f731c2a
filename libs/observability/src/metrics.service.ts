import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS, MetricNames } from './metric-names.js';

export const SERVICE_IDENTITY = Symbol('SERVICE_IDENTITY');

export interface ServiceIdentity {
  service: string;
  version: string;
}

/** One prom-client registry per process, default labels `service` and `version`. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly natsHandlerDuration: Histogram<'subject' | 'outcome'>;

  constructor(identity: ServiceIdentity) {
    this.registry.setDefaultLabels({ service: identity.service, version: identity.version });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges `*_total`, which `promtool check metrics` rejects (only
    // counters end in `_total`); the same figures remain by type in `nodejs_active_{handles,requests,resources}`.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.httpRequestDuration = this.histogram(MetricNames.httpRequestDuration, 'HTTP requests handled, by route template and status', ['method', 'route', 'status_code']);
    this.natsHandlerDuration = this.histogram(MetricNames.natsHandlerDuration, 'NATS messages handled, by subject and outcome', ['subject', 'outcome']);
  }

  histogram<L extends string>(name: string, help: string, labelNames: L[], buckets = LATENCY_BUCKETS): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: L[] = [], collect?: (this: Gauge<L>) => void | Promise<void>): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({ name, help, labelNames, registers: [this.registry], collect });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
