import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { statfsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { http, REPO_ROOT, type ServiceProcess, spawnService, tokenFor, waitFor } from '@vgp/testing';
import { ALL_SERVICES, type Platform, startPlatform } from './platform.js';

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;
const DEPENDENCIES = ['postgresql', 'nats', 'job_queue', 'blob_storage', 'authentication'];
const GB = 1024 ** 3;

/** `/system/health` and `/system/metrics` against the whole platform, with services stopped one by one. */
describe('system health and metrics, end to end', () => {
  let p: Platform;
  let extra: ServiceProcess | undefined;
  let admin: string;
  let user: string;
  const startedAt = Date.now();

  beforeAll(async () => {
    p = await startPlatform('system', { SYSTEM_HEALTH_CACHE_MS: '0', SYSTEM_HEALTH_WINDOW_MS: '1000', RPC_TIMEOUT_MS: '2000' });
    admin = await tokenFor('sys-admin', 'admin');
    user = await tokenFor('sys-user', 'user');
  });

  afterAll(async () => {
    await extra?.stop('SIGKILL');
    await p?.stop();
  });

  const health = async () => {
    const res = await http('GET', `${p.api}/system/health`);
    expect(res.status).toBe(200);
    return res.body.data;
  };

  it('reports every service and dependency healthy, with measured details', async () => {
    const h = await waitFor(async () => {
      const d = await health();
      return d.status === 'healthy' ? d : null;
    }, { timeoutMs: 20_000, intervalMs: 500, what: 'a healthy platform' });
    expect(Object.keys(h.components).sort()).toEqual([...ALL_SERVICES, ...DEPENDENCIES].sort());
    expect(h).toMatchObject({ version: VERSION, environment: 'test' });
    // The platform's uptime: its oldest instance, started after this suite did.
    expect(h.uptime_seconds).toBeLessThanOrEqual(Math.ceil((Date.now() - startedAt) / 1000));
    for (const s of ALL_SERVICES) {
      expect(h.components[s]).toMatchObject({ status: 'healthy', details: { instances: 1, expected_instances: 1 } });
      expect(h.components[s].response_time_ms).toBeGreaterThan(0);
      expect(Date.parse(h.components[s].last_check)).toBeGreaterThan(startedAt);
    }
    expect(h.components.users.details.replicas[0].checks).toMatchObject({ database: { status: 'healthy' }, nats: { status: 'healthy' } });
    expect(h.components.postgresql).toMatchObject({ status: 'healthy', details: { connections: expect.any(Number), size_bytes: expect.any(Number) } });
    expect(h.components.postgresql.details.connections).toBeGreaterThanOrEqual(4);
    expect(h.components.nats).toMatchObject({ status: 'healthy', details: { rtt_ms: expect.any(Number) } });
    // Versions, addresses and instance ids are for those who may read the system metrics.
    expect([h.components.postgresql.details.server_version, h.components.nats.details.server, h.components.users.details.replicas[0].instance_id]).toEqual([undefined, undefined, undefined]);
    const full = (await http('GET', `${p.api}/system/health`, { token: admin })).body.data;
    expect(full.components.postgresql.details.server_version).toEqual(expect.any(String));
    expect(full.components.nats.details).toMatchObject({ server_version: expect.any(String), server: expect.any(String) });
    expect(full.components.users.details.replicas[0].instance_id).toEqual(expect.any(String));
    expect(h.components.job_queue).toMatchObject({ status: 'healthy', details: { queue_length: 0, backlog_threshold: 100 } });
    const disk = statfsSync(p.env.STORAGE_DIR);
    expect(h.components.blob_storage.details.total_bytes).toBe(disk.blocks * disk.bsize);
    expect(h.components.authentication.status).toBe('healthy');
  });

  it('measures the system metrics from what was done', async () => {
    expect((await http('GET', `${p.api}/system/metrics`, { token: user })).status).toBe(403);
    const body = { configuration: { topic: 'Pythagorean theorem', context: 'Right triangles', quality: 'low' } };
    for (let i = 0; i < 3; i++) expect((await http('POST', `${p.api}/videos/generate`, { token: user, body })).status).toBe(201);
    const before = (await http('GET', `${p.api}/system/metrics`, { token: admin })).body.data;
    for (let i = 0; i < 10; i++) await http('GET', `${p.api}/jobs/00000000-0000-4000-8000-00000000000${i % 10}`, { token: user });
    const res = await http('GET', `${p.api}/system/metrics`, { token: admin });
    expect(res.status).toBe(200);
    const m = res.body.data;
    // The ten 404s and the first metrics call; 4xx are not errors.
    expect(m.performance_metrics.requests - before.performance_metrics.requests).toBe(11);
    expect(m.performance_metrics.error_rate_percent).toBe(0);
    expect(m.performance_metrics.avg_response_time_ms).toBeGreaterThan(0);
    expect(m.performance_metrics.requests_per_minute).toBeGreaterThan(0);
    const statuses = m.job_metrics.jobs_by_status as Record<string, number>;
    expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(3);
    expect(m.job_metrics.queue_length).toBeLessThanOrEqual(3);
    expect(m.system_resources.memory_total_gb).toBeCloseTo(totalmem() / GB, 1);
    expect(m.system_resources.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(m.system_resources.cpu_percent).toBeLessThanOrEqual(100);
    expect(m.database_metrics.size_mb).toBeGreaterThan(0);
    expect(m.database_metrics.connections).toBeGreaterThanOrEqual(4);
    expect(m.message_bus_metrics.messages_out).toBeGreaterThan(0);
  });

  it('reads a scale-down as healthy, one replica of two gone without a word as degraded, then none as unhealthy', async () => {
    // A replica stopped gracefully (SIGTERM: a scale-down) announces it: one of one, healthy.
    extra = await spawnService('users', p.env);
    await waitFor(async () => (await health()).components.users.details.instances === 2, { timeoutMs: 10_000, intervalMs: 300, what: 'two users replicas' });
    await extra.stop();
    const scaledDown = await health();
    expect(scaledDown.components.users).toMatchObject({ status: 'healthy', details: { instances: 1, expected_instances: 1 } });
    // A replica killed outright is missed.
    extra = await spawnService('users', p.env);
    await waitFor(async () => (await health()).components.users.details.instances === 2, { timeoutMs: 10_000, intervalMs: 300, what: 'two users replicas again' });
    await extra.stop('SIGKILL');
    const one = await health();
    expect(one.components.users).toMatchObject({ status: 'degraded', error: '1 of 2 replicas answered', details: { instances: 1, expected_instances: 2 } });
    expect(one.status).toBe('degraded');
    await p.services.get('users')?.stop();
    const none = await health();
    expect(none.components.users).toMatchObject({ status: 'unhealthy', details: { instances: 0 } });
    expect(none.status).toBe('unhealthy');
    await p.services.get('jobs')?.stop();
    const noJobs = await health();
    expect(noJobs.components.jobs.status).toBe('unhealthy');
    expect(noJobs.components.job_queue.status).toBe('unhealthy');
    expect(noJobs.components.gateway.status).toBe('healthy');
  });
});
