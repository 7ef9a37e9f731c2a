// `npm test`: every gate of every project (lint, typecheck, build, unit + integration tests) and
// the end-to-end suite, against real PostgreSQL and NATS (started locally when none answers).
import { ensureInfra, log, run, stopInfra } from './lib/infra.mjs';

const args = process.argv.slice(2);
const targets = args.length ? args : ['lint', 'typecheck', 'build', 'test', 'e2e'];
const infra = await ensureInfra({
  databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
});
log(`Testing against PostgreSQL ${new URL(infra.databaseUrl).host} and NATS ${infra.natsUrl}`);
let code = 0;
try {
  run('npx', ['nx', 'run-many', '-t', ...targets, '--parallel=2', '--output-style=stream-without-prefixes'], {
    TEST_DATABASE_URL: infra.databaseUrl.replace(/\/[^/]*$/, '/postgres'),
    TEST_NATS_URL: infra.natsUrl,
    TZ: 'UTC',
    NX_TUI: 'false',
  });
} catch (err) {
  log(err.message);
  code = 1;
} finally {
  await stopInfra();
}
process.exit(code);
