// The migrations Job of deploy/k8s (and `docker compose run --rm migrations`): applies every
// service's migrations against DATABASE_URL with the built apps of the image. Unlike
// `npm run migrate` it neither builds nor starts a local PostgreSQL.
import { migrateAll } from '../scripts/migrate.mjs';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required');
  process.exit(1);
}
try {
  await migrateAll(url);
} catch (err) {
  console.error(`Migrations failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
