// The migrations entry point of the images: applies service schemas' migrations against
// DATABASE_URL with the built apps of the image. Unlike `npm run migrate` it neither builds nor
// starts a local PostgreSQL.
//
//   node deploy/migrate-job.mjs            every service's schema (docker compose's `migrations`)
//   node deploy/migrate-job.mjs <service>  that service's schema only: the `migrate` initContainer
//                                          of its Deployment in deploy/k8s
//
// Each schema is migrated under `pg_advisory_lock(hashtext('migrations:<schema>'))`
// (libs/persistence openDataSource), so replicas starting together take turns and the later
// ones find nothing left to apply.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { migrateAll, SERVICES_WITH_SCHEMA } from '../scripts/migrate.mjs';

const ROOT = resolve(import.meta.dirname, '..');

async function migrateOne(svc, databaseUrl) {
  const { openDataSource } = await import(pathToFileURL(resolve(ROOT, 'libs/persistence/dist/index.js')).href);
  const mod = await import(pathToFileURL(resolve(ROOT, 'apps', svc, 'dist', 'data-source.js')).href);
  const ds = await openDataSource(mod.dataSourceOptions(databaseUrl), { migrate: true, ensureDatabase: true });
  await ds.destroy();
  process.stdout.write(`${svc}: schema "${mod.SCHEMA}" is up to date\n`);
}

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required');
  process.exit(1);
}
const services = process.argv.slice(2);
const unknown = services.filter((s) => !SERVICES_WITH_SCHEMA.includes(s));
if (unknown.length) {
  console.error(`No schema for ${unknown.join(', ')}: the services with a schema are ${SERVICES_WITH_SCHEMA.join(', ')}`);
  process.exit(1);
}
try {
  if (services.length) for (const svc of services) await migrateOne(svc, url);
  else await migrateAll(url);
} catch (err) {
  console.error(`Migrations failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
