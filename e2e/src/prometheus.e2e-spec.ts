import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, http, tokenFor, waitFor } from '@vgp/testing';
import { ALL_SERVICES, type Platform, startPlatform } from './platform.js';

/** Every service's /metrics through promtool, then scraped by a real Prometheus server. */
describe('Prometheus metrics of the running platform', () => {
  let p: Platform;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let dir: string;
  const promOutput: string[] = [];

  beforeAll(async () => {
    p = await startPlatform('prometheus');
    // Some traffic, so request histograms have series.
    const token = await tokenFor('prom-alice');
    await http('GET', `${p.api}/system/health`);
    await http('GET', `${p.api}/jobs/00000000-0000-4000-8000-000000000000`, { token });
    dir = mkdtempSync(join(tmpdir(), 'vgp-prom-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const targets = [...p.services.values()].map((s) => ({ targets: [`127.0.0.1:${s.port}`], labels: { job: `vgp-${s.name}` } }));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      JSON.stringify({ global: { scrape_interval: '1s', scrape_timeout: '900ms' }, scrape_configs: [{ job_name: 'video-platform', static_configs: targets }] }),
    );
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prom.stderr?.on('data', (b: Buffer) => promOutput.push(b.toString()));
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom?.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const query = async (q: string): Promise<any[]> => {
    const res = await http('GET', `${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    if (res.status !== 200 || res.body.status !== 'success') throw new Error(`query ${q}: ${res.text}`);
    return res.body.data.result;
  };

  it.each(ALL_SERVICES)('%s: /metrics passes promtool check metrics', async (name) => {
    const svc = p.services.get(name);
    const res = await fetch(`${svc?.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect({ status: check.status, problems: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
    expect(body).toContain(`process_cpu_seconds_total{service="${name}",version="`);
    // Bounded labels: no ids (UUIDs, long hex or numbers) as label values.
    expect(body).not.toMatch(/="[^"]*([0-9a-f]{8}-[0-9a-f]{4}-|[0-9a-f]{24,}|\/\d{3,})[^"]*"/);
    expect(body).toMatch(/# TYPE http_request_duration_seconds histogram/);
    expect(body).toMatch(/# TYPE nats_handler_duration_seconds histogram/);
  });

  it('labels HTTP requests by route template, never by id', async () => {
    const body = await (await fetch(`${p.services.get('gateway')?.url}/metrics`)).text();
    expect(body).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/jobs\/:job_id"[^}]*status_code="404"/);
    expect(body).not.toContain('00000000-0000-4000-8000-000000000000');
    expect(body).toMatch(/nats_handler_duration_seconds_count\{[^}]*subject="system\.v1\.health\.ping"/);
  });

  it('is scraped by a real Prometheus server, which answers queries over the series', async () => {
    const up = await waitFor(
      async () => {
        const r = await query('up == 1');
        return r.length === ALL_SERVICES.length ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: `all targets up (prometheus: ${promOutput.join('').slice(-500)})` },
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual(ALL_SERVICES.map((s) => `vgp-${s}`).sort());
    const byService = await query('count by (service) (process_resident_memory_bytes)');
    expect(byService.map((s) => s.metric.service).sort()).toEqual([...ALL_SERVICES].sort());
    const notFound = await query('sum(http_request_duration_seconds_count{service="gateway",route="/api/v1/jobs/:job_id",status_code="404"})');
    expect(Number(notFound[0].value[1])).toBeGreaterThanOrEqual(1);
    const pings = await query('sum by (service) (nats_handler_duration_seconds_count{subject="system.v1.health.ping"})');
    expect(pings.length).toBe(ALL_SERVICES.length);
    // A rate needs two scrapes of a changed counter: keep the traffic going until it has them.
    const p99 = await waitFor(
      async () => {
        await http('GET', `${p.api}/system/health`);
        const r = await query('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="gateway"}[1m])))');
        return r.length === 1 && Number.isFinite(Number(r[0].value[1])) ? r : null;
      },
      { timeoutMs: 15_000, intervalMs: 500, what: 'a p99 latency from Prometheus' },
    );
    expect(Number(p99[0].value[1])).toBeGreaterThan(0);
  });
});
