import { Injectable } from '@nestjs/common';
import { MetricNames, MetricsService } from '@vgp/observability';
import type { Gauge, Histogram } from 'prom-client';

/** The worker's metrics (names from the shared list; labels bounded: quality, stage). */
@Injectable()
export class RenderMetrics {
  readonly duration: Histogram<'quality'>;
  readonly realtimeFactor: Histogram<'quality'>;
  readonly stageDuration: Histogram<'stage'>;
  readonly activeJobs: Gauge;

  constructor(metrics: MetricsService) {
    const seconds = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200];
    this.duration = metrics.histogram(MetricNames.renderDuration, 'Wall time of a whole render job, by quality', ['quality'], seconds);
    this.realtimeFactor = metrics.histogram(MetricNames.renderRealtimeFactor, 'Video seconds produced per wall second, by quality', ['quality'], [0.5, 1, 2, 3, 5, 8, 12, 20, 40]);
    this.stageDuration = metrics.histogram(MetricNames.renderStageDuration, 'Wall time of each pipeline stage', ['stage'], [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300]);
    this.activeJobs = metrics.gauge(MetricNames.renderActiveJobs, 'Jobs this worker is rendering now');
  }
}
