import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { MetricNames } from '@vgp/observability';
import { DEPLOY_DIR, kustomizeLite, readYamlDocs } from './kustomize-lite.js';

const PROM = join(DEPLOY_DIR, 'prometheus');
const GRAFANA = join(DEPLOY_DIR, 'grafana');
const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: PROM, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// Series every scrape has besides the platform's own names: Prometheus' `up`, prom-client's defaults.
const BUILT_IN = /^(up|process_.+|nodejs_.+)$/;
const OWN = new Set<string>(Object.values(MetricNames));
const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

/** Metric names in a PromQL expression: identifiers left once label matchers, groupings and functions are removed. */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)) {
    if (!['and', 'or', 'unless', 'bool', 'offset', 'e', 'Inf', 'NaN'].includes(m[1])) names.add(m[1]);
  }
  return [...names];
}

/** The Prometheus jobs of the platform on Kubernetes: `vgp-<app>` per Deployment (prometheus.yml). */
const JOBS = kustomizeLite(join(DEPLOY_DIR, 'k8s', 'base'))
  .filter((o) => o.kind === 'Deployment')
  .map((o) => `vgp-${o.metadata.name}`)
  .sort();
/** Probes and scrapes: HTTP routes that are not requests to a service. */
const NOT_REQUESTS = 'route!~"/health/.*|/metrics"';

function declared(name: string): boolean {
  return BUILT_IN.test(name) || OWN.has(name) || OWN.has(name.replace(HISTOGRAM_SUFFIX, '')) || name.includes(':');
}

describe('deploy/prometheus', () => {
  it('has alert rules promtool accepts, and their unit tests pass', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 12 rules found/);
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
    expect(promtool('check', 'config', 'prometheus.compose.yml')).toMatch(/SUCCESS/);
  });

  it('alerts on service down, error rate, queue backlog and stuck jobs, from declared metric names', () => {
    const groups = (load(readFileSync(join(PROM, 'alerts.yml'), 'utf8')) as any).groups;
    const rules = groups.flatMap((g: any) => g.rules);
    expect(rules.filter((r: any) => r.alert).map((r: any) => r.alert)).toEqual(expect.arrayContaining(['ServiceDown', 'HighErrorRate', 'JobQueueBacklog', 'StuckJobs']));
    const undeclared = rules.flatMap((r: any) => metricsIn(r.expr)).filter((n: string) => !declared(n));
    expect(undeclared).toEqual([]);
  });

  it('alerts when a service has no target at all, for every service', () => {
    const rules = (load(readFileSync(join(PROM, 'alerts.yml'), 'utf8')) as any).groups.flatMap((g: any) => g.rules);
    const absent = rules.find((r: any) => r.alert === 'ServiceAbsent');
    // Pods without an IP (Pending) give no target and no `up` series: ServiceDown's `== 0` sees nothing.
    const jobs = [...absent.expr.matchAll(/absent\(up\{job="([^"]+)"\}\)/g)].map((m: RegExpMatchArray) => m[1]).sort();
    expect(jobs).toEqual(JOBS);
    expect(JOBS).toHaveLength(6);
  });

  it('computes the HTTP error rate from requests, without probes and scrapes; NATS errors as a share', () => {
    const rules = (load(readFileSync(join(PROM, 'alerts.yml'), 'utf8')) as any).groups.flatMap((g: any) => g.rules);
    const http = rules.filter((r: any) => r.expr.includes('http_request_duration_seconds'));
    expect(http.map((r: any) => r.record)).toEqual(['service:http_requests:rate5m', 'service:http_request_errors:rate5m']);
    for (const r of http) expect(r.expr).toContain(NOT_REQUESTS);
    const nats = rules.find((r: any) => r.alert === 'NatsHandlerErrors');
    expect(nats.expr).toMatch(/service_subject:nats_errors:rate5m \/ service_subject:nats_messages:rate5m\) > 0\.05 and service_subject:nats_errors:rate5m > 0\.01/);
  });
});

describe('deploy/grafana', () => {
  const dashboard = JSON.parse(readFileSync(join(GRAFANA, 'dashboards', 'video-platform.json'), 'utf8'));
  const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
  const exprs: string[] = panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));

  it('provisions the Prometheus data source the dashboard uses, and the dashboard folder compose mounts', () => {
    const [ds] = readYamlDocs(join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yml'));
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', uid: 'vgp-prometheus' });
    expect(new Set(panels.map((p: any) => p.datasource.uid))).toEqual(new Set(['vgp-prometheus']));
    const [prov] = readYamlDocs(join(GRAFANA, 'provisioning', 'dashboards', 'video-platform.yml'));
    const path = prov.providers[0].options.path;
    expect(readFileSync(join(DEPLOY_DIR, '..', 'docker-compose.yml'), 'utf8')).toContain(`./deploy/grafana/dashboards:${path}:ro`);
    expect(new Set(dashboard.panels.map((p: any) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('shows the golden signals per service, the queue and render throughput', () => {
    const titles = panels.map((p: any) => p.title).join('\n');
    for (const t of [/requests per second/i, /5xx/i, /p50 \/ p99/i, /Saturation/i, /Queue depth/i, /Render throughput/i]) expect(titles).toMatch(t);
    expect(exprs.some((e) => e.includes('histogram_quantile(0.99'))).toBe(true);
    expect(exprs.filter((e) => e.includes('by (service'))).not.toHaveLength(0);
  });

  it("queries the platform's own jobs only, and HTTP requests without probes and scrapes", () => {
    // Pods may also be scraped by a stock `kubernetes-pods` job: without the job filter every sum doubles.
    for (const e of exprs) {
      for (const name of metricsIn(e)) {
        for (const m of e.matchAll(new RegExp(`\\b${name}\\b(\\{[^}]*\\})?(?!\\w)`, 'g'))) {
          expect([e, m[1] ?? '']).toEqual([e, expect.stringContaining('job=~"vgp-.+"')]);
          if (name.startsWith('http_request_duration_seconds')) expect([e, m[1]]).toEqual([e, expect.stringContaining(NOT_REQUESTS)]);
        }
      }
    }
    expect(dashboard.templating.list.find((v: any) => v.name === 'service').definition).toContain('job=~"vgp-.+"');
    // render_realtime_factor is video seconds per wall second: higher is faster.
    const realtime = panels.find((p: any) => p.targets.some((t: any) => t.expr.includes('render_realtime_factor')));
    expect(realtime.title).toMatch(/video length \/ render time/);
  });

  it('queries only declared metrics, in PromQL that promtool parses', () => {
    expect(exprs.flatMap(metricsIn).filter((n) => !declared(n))).toEqual([]);
    // Every query as a recording rule, Grafana's variables replaced: promtool parses each one.
    const dir = mkdtempSync(join(tmpdir(), 'vgp-dash-'));
    try {
      const rules = exprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: e.replaceAll('$__rate_interval', '5m').replaceAll('$service', '.*') }));
      writeFileSync(join(dir, 'dashboard.rules.yml'), dump({ groups: [{ name: 'dashboard', rules }] }));
      expect(execFileSync('promtool', ['check', 'rules', join(dir, 'dashboard.rules.yml')], { encoding: 'utf8' })).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows database-wide gauges once, however many jobs replicas report them', () => {
    // Each jobs replica computes these gauges from the whole database: two replicas report the
    // same figure, and a query that adds replicas up shows it twice.
    const figures: Record<string, { labels: string; value: number }[]> = {
      jobs_queue_depth: [
        { labels: 'priority="high"', value: 3 },
        { labels: 'priority="normal"', value: 7 },
        { labels: 'priority="low"', value: 0 },
      ],
      jobs_stuck: [{ labels: '', value: 2 }],
    };
    const checked = exprs
      .map((expr, i) => ({ expr, i, gauge: Object.keys(figures).find((g) => metricsIn(expr).includes(g)) }))
      .filter((q): q is { expr: string; i: number; gauge: string } => q.gauge !== undefined);
    expect(checked.map((q) => q.gauge).sort()).toEqual(['jobs_queue_depth', 'jobs_stuck']);
    const dir = mkdtempSync(join(tmpdir(), 'vgp-dash-'));
    try {
      const rules = checked.map((q) => ({ record: `dashboard:query_${q.i}`, expr: q.expr.replaceAll('$__rate_interval', '5m') }));
      writeFileSync(join(dir, 'dashboard.rules.yml'), dump({ groups: [{ name: 'dashboard', rules }] }));
      const input_series = Object.entries(figures).flatMap(([name, rows]) =>
        ['10.0.0.1:3000', '10.0.0.2:3000'].flatMap((instance) =>
          rows.map((r) => ({ series: `${name}{job="vgp-jobs",service="jobs",instance="${instance}"${r.labels ? `,${r.labels}` : ''}}`, values: `${r.value}x10` })),
        ),
      );
      const promql_expr_test = checked.map((q) => ({
        expr: `sum(dashboard:query_${q.i})`,
        eval_time: '5m',
        exp_samples: [{ labels: '{}', value: figures[q.gauge].reduce((n, r) => n + r.value, 0) }],
      }));
      writeFileSync(
        join(dir, 'dashboard.test.yml'),
        dump({ rule_files: ['dashboard.rules.yml'], evaluation_interval: '1m', tests: [{ interval: '1m', input_series, promql_expr_test }] }),
      );
      const run = spawnSync('promtool', ['test', 'rules', 'dashboard.test.yml'], { cwd: dir, encoding: 'utf8' });
      expect(run.stdout + run.stderr).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
