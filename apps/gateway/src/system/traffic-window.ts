import type { Histogram } from 'prom-client';

/** Totals of the gateway's API traffic at one moment (from its own request histogram). */
export interface TrafficTotals {
  at: number;
  requests: number;
  errors: number;
  seconds: number;
}

export interface TrafficFigures {
  window_seconds: number;
  requests: number;
  error_rate_percent: number;
  avg_response_time_ms: number;
  requests_per_minute: number;
}

/** API traffic only: probes and scrapes (`/health/*`, `/metrics`) would drown the figures. */
export function isApiRoute(route: string): boolean {
  return route.startsWith('/api/') || route === 'unmatched';
}

/** Sums the histogram's `_count` and `_sum` over API routes; errors are 5xx answers. */
export async function readTotals(h: Histogram<string>, at = Date.now()): Promise<TrafficTotals> {
  const { values } = await h.get();
  const t: TrafficTotals = { at, requests: 0, errors: 0, seconds: 0 };
  for (const v of values) {
    const route = String(v.labels.route ?? '');
    if (!isApiRoute(route)) continue;
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_count')) {
      t.requests += v.value;
      if (Number(v.labels.status_code) >= 500) t.errors += v.value;
    } else if (name.endsWith('_sum')) t.seconds += v.value;
  }
  return t;
}

/**
 * A sliding window over cumulative totals: snapshots every `stepMs`, figures = now minus the
 * oldest snapshot still inside the window (or the start, while the process is younger).
 */
export class TrafficWindow {
  private readonly snapshots: TrafficTotals[] = [];

  constructor(
    private readonly windowMs: number,
    first: TrafficTotals,
  ) {
    this.snapshots.push(first);
  }

  add(t: TrafficTotals): void {
    this.snapshots.push(t);
    // Keep one snapshot at or beyond the window's start.
    while (this.snapshots.length > 2 && this.snapshots[1].at <= t.at - this.windowMs) this.snapshots.shift();
  }

  figures(now: TrafficTotals): TrafficFigures {
    const base = this.snapshots.find((s) => s.at >= now.at - this.windowMs) ?? this.snapshots[this.snapshots.length - 1];
    const requests = Math.max(0, now.requests - base.requests);
    const errors = Math.max(0, now.errors - base.errors);
    const seconds = Math.max(0, now.seconds - base.seconds);
    const spanMs = Math.max(1, now.at - base.at);
    return {
      window_seconds: Math.round(spanMs / 1000),
      requests,
      error_rate_percent: requests ? round((errors / requests) * 100, 2) : 0,
      avg_response_time_ms: requests ? round((seconds / requests) * 1000, 2) : 0,
      requests_per_minute: round(requests / (spanMs / 60000), 2),
    };
  }
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
