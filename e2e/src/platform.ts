import { createTestInfra, PrivateNatsServer, type ServiceProcess, spawnService, type TestInfra } from '@vgp/testing';

export const ALL_SERVICES = ['users', 'jobs', 'videos', 'files', 'render-worker', 'gateway'] as const;

export interface Platform {
  infra: TestInfra;
  nats: PrivateNatsServer;
  services: Map<string, ServiceProcess>;
  api: string;
  env: Record<string, string>;
  /** A running service by name. */
  service(name: string): ServiceProcess;
  stop(): Promise<void>;
}

/**
 * The whole platform as separate processes (the built apps), on a database and a NATS server of
 * its own, as a frontend would meet it.
 */
export async function startPlatform(label: string, extraEnv: Record<string, string> = {}, names: readonly string[] = ALL_SERVICES): Promise<Platform> {
  const infra = await createTestInfra(label);
  const nats = await PrivateNatsServer.start();
  const env = { ...infra.env, NATS_URL: nats.url, LOG_LEVEL: 'warn', ...extraEnv };
  const services = new Map<string, ServiceProcess>();
  try {
    // Services with a schema first, one at a time, so their migrations do not race on a fresh database.
    for (const name of names.filter((n) => n !== 'gateway' && n !== 'render-worker')) services.set(name, await spawnService(name, env));
    await Promise.all(names.filter((n) => n === 'gateway' || n === 'render-worker').map(async (n) => services.set(n, await spawnService(n, env))));
  } catch (err) {
    await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
    await nats.down();
    await infra.cleanup();
    throw err;
  }
  const gateway = services.get('gateway');
  return {
    infra,
    nats,
    services,
    env,
    api: gateway ? `${gateway.url}/api/v1` : '',
    service(name: string) {
      const svc = services.get(name);
      if (!svc) throw new Error(`${name} is not running in this platform`);
      return svc;
    },
    async stop() {
      await Promise.all([...services.values()].map((s) => s.stop()));
      await nats.down();
      await infra.cleanup();
    },
  };
}
