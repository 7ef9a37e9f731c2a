// `npm run migrate`: applies every service's migrations, each in its own schema.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureInfra, log, ROOT, run, stopInfra } from './lib/infra.mjs';

export const SERVICES_WITH_SCHEMA = ['users', 'jobs', 'videos', 'files'];

export async function migrateAll(databaseUrl) {
  const { openDataSource } = await import(pathToFileURL(resolve(ROOT, 'libs/persistence/dist/index.js')).href);
  for (const svc of SERVICES_WITH_SCHEMA) {
    const mod = await import(pathToFileURL(resolve(ROOT, 'apps', svc, 'dist', 'data-source.js')).href);
    const ds = await openDataSource(mod.dataSourceOptions(databaseUrl), { migrate: true, ensureDatabase: true });
    await ds.destroy();
    log(`${svc}: schema "${mod.SCHEMA}" is up to date`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const infra = await ensureInfra({
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/video_platform',
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  });
  try {
    run('npx', ['nx', 'run-many', '-t', 'build', '-p', ...SERVICES_WITH_SCHEMA, '--output-style=static']);
    await migrateAll(infra.databaseUrl);
  } finally {
    await stopInfra();
  }
}
