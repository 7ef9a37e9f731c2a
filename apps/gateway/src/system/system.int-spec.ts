import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { createTestInfra, freePort, http, type RunningService, startService, type TestInfra, tokenFor, waitFor } from '@vgp/testing';
import { AppModule } from '../app.module.js';
import { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_APP } from '../gateway.setup.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The gateway alone on the real NATS: its own health report, the others missing, the metrics' permission. */
describe('system health and metrics (gateway alone)', () => {
  let infra: TestInfra;
  let gw: RunningService<GatewayConfig>;
  let api: string;
  let nats: ChildProcess;

  beforeAll(async () => {
    infra = await createTestInfra('system');
    // A NATS server of its own with the monitoring endpoint, for the connected clients figure.
    const [port, monitor] = [await freePort(), await freePort()];
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${monitor}/healthz`)).ok, { timeoutMs: 10_000, what: 'nats-server' });
    gw = await startService({
      module: AppModule,
      ...GATEWAY_APP,
      env: { ...infra.env, NATS_URL: `nats://127.0.0.1:${port}`, NATS_MONITOR_URL: `http://127.0.0.1:${monitor}`, AUTH_USERS_OPTIONAL: 'true', SYSTEM_HEALTH_WINDOW_MS: '400', SYSTEM_HEALTH_CACHE_MS: '0', HEALTH_CHECK_TIMEOUT_MS: '300', RPC_TIMEOUT_MS: '500' },
    });
    api = `${gw.url}/api/v1`;
  });

  afterAll(async () => {
    await gw?.close();
    nats?.kill('SIGKILL');
    await infra?.cleanup();
  });

  it('reports the gateway from its own answer to the broadcast ping and the absent services as unhealthy', async () => {
    const res = await http('GET', `${api}/system/health`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', message: 'System health check completed' });
    const h = res.body.data;
    expect(h).toMatchObject({ status: 'unhealthy', version: gw.config.APP_VERSION, environment: 'test' });
    expect(h.timestamp).toMatch(ISO);
    expect(h.uptime_seconds).toBeGreaterThanOrEqual(0);
    const gwc = h.components.gateway;
    expect(gwc).toMatchObject({ status: 'healthy', details: { instances: 1, expected_instances: 1 } });
    expect(gwc.response_time_ms).toBeGreaterThan(0);
    expect(gwc.last_check).toMatch(ISO);
    const replica = gwc.details.replicas[0];
    expect(replica).toMatchObject({ status: 'healthy', checks: { nats: { status: 'healthy' } } });
    // Anyone may ask: no instance ids (host names, pids), versions or server addresses.
    expect([replica.instance_id, replica.version]).toEqual([undefined, undefined]);
    expect(Date.parse(replica.started_at)).toBeLessThanOrEqual(Date.now());
    for (const s of ['jobs', 'videos', 'files', 'users', 'render-worker']) {
      expect(h.components[s]).toMatchObject({ status: 'unhealthy', error: 'No instance answered within 400 ms', details: { instances: 0 } });
    }
    expect(h.components.nats).toMatchObject({ status: 'healthy', details: { jetstream: expect.any(Boolean) } });
    expect([h.components.nats.details.server, h.components.nats.details.server_version]).toEqual([undefined, undefined]);
    // The gateway's connection (its client and its RPC server share it), as nats-server's /varz counts them.
    expect(h.components.nats.details.connected_clients).toBeGreaterThanOrEqual(1);
    expect(h.components.nats.response_time_ms).toBeGreaterThanOrEqual(0);
    expect(h.components.job_queue).toMatchObject({ status: 'unhealthy' });
    expect(h.components.postgresql).toMatchObject({ status: 'unknown' });
    expect(h.components.blob_storage).toMatchObject({ status: 'healthy', details: { free_bytes: expect.any(Number), total_bytes: expect.any(Number) } });
    expect(h.components.blob_storage.details.free_bytes).toBeGreaterThan(0);
    expect(h.components.authentication.status).toBe('healthy');
  });

  it('shows addresses, versions and instance ids to callers who may read the system metrics', async () => {
    const full = (await http('GET', `${api}/system/health`, { token: await tokenFor('sys-admin', 'admin') })).body.data;
    const replica = full.components.gateway.details.replicas[0];
    expect(replica).toMatchObject({ version: gw.config.APP_VERSION, status: 'healthy' });
    expect(replica.instance_id).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect(full.components.nats.details).toMatchObject({ server_version: expect.any(String), server: expect.any(String) });
    // A user without that permission sees what anyone sees.
    const user = (await http('GET', `${api}/system/health`, { token: await tokenFor('sys-user', 'user') })).body.data;
    expect(user.components.gateway.details.replicas[0].instance_id).toBeUndefined();
  });

  it('allows the system metrics only with can_access_system_metrics', async () => {
    const denied = await http('GET', `${api}/system/metrics`, { token: await tokenFor('sys-user', 'user') });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');
    expect((await http('GET', `${api}/system/metrics`)).status).toBe(401);
    const res = await http('GET', `${api}/system/metrics`, { token: await tokenFor('sys-admin', 'admin') });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('System metrics retrieved');
    const m = res.body.data;
    expect(m.system_resources.memory_total_gb).toBeGreaterThan(0);
    expect(m.system_resources.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(m.system_resources.disk_total_gb).toBeGreaterThan(0);
    expect(m.message_bus_metrics).toMatchObject({ source: 'nats-monitoring', rtt_ms: expect.any(Number), server_version: expect.any(String) });
    expect(m.message_bus_metrics.connected_clients).toBeGreaterThanOrEqual(1);
    expect(m.message_bus_metrics.memory_used_mb).toBeGreaterThan(0);
    expect(m.message_bus_metrics.messages_out).toBeGreaterThan(0);
    // No jobs service and no service with a database here.
    expect(m.job_metrics).toBeNull();
    expect(m.database_metrics).toBeNull();
    // The two calls above (a 403 and a 401) are in the window; none was a 5xx.
    expect(m.performance_metrics.requests).toBeGreaterThanOrEqual(3);
    expect(m.performance_metrics.error_rate_percent).toBe(0);
    expect(m.performance_metrics.avg_response_time_ms).toBeGreaterThan(0);
    expect(m.performance_metrics.requests_per_minute).toBeGreaterThan(0);
    expect(m).not.toHaveProperty('redis_metrics');
  });
});
