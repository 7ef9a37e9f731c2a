// `npm start`: installs what is missing, finds or starts PostgreSQL and NATS, builds, applies the
// migrations, starts all six services, then submits a first video job and follows it.
// Ctrl-C stops everything. `npm start -- --no-demo` skips the demo job.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureInfra, log, ROOT, run, stopInfra } from './lib/infra.mjs';
import { migrateAll } from './migrate.mjs';
import { ensureLocalKey, localAuthEnv, mintToken } from './mint-token.mjs';

const SERVICES = [
  { name: 'users', port: 3004, color: 35 },
  { name: 'jobs', port: 3001, color: 33 },
  { name: 'videos', port: 3002, color: 34 },
  { name: 'files', port: 3003, color: 32 },
  { name: 'render-worker', port: 3005, color: 31 },
  { name: 'gateway', port: 3000, color: 36 },
];
const demo = !process.argv.includes('--no-demo');

run('node', ['scripts/setup.mjs']);
const infra = await ensureInfra({
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/video_platform',
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
});
log(`PostgreSQL: ${new URL(infra.databaseUrl).host}, NATS: ${infra.natsUrl}`);
run('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], { NX_TUI: 'false' });
await migrateAll(infra.databaseUrl);

// Without a Clerk instance configured, the gateway trusts the local key of scripts/mint-token.mjs.
const localAuth = !process.env.CLERK_ISSUER;
if (localAuth) await ensureLocalKey();
const env = {
  ...(localAuth ? localAuthEnv() : {}),
  ...process.env,
  DATABASE_URL: infra.databaseUrl,
  NATS_URL: infra.natsUrl,
  NODE_ENV: process.env.NODE_ENV ?? 'development',
  STORAGE_DIR: process.env.STORAGE_DIR ?? resolve(ROOT, 'var', 'storage'),
  // As in the Docker image: glibc keeps freed heap for the next upload instead of faulting it in again.
  MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? '67108864',
  // As in the Docker image: a young generation of up to 2 x 32 MiB (yours, if NODE_OPTIONS sets one, wins).
  NODE_OPTIONS: `--max-semi-space-size=32 ${process.env.NODE_OPTIONS ?? ''}`.trim(),
};
const children = [];
let stopping = false;
for (const s of SERVICES) {
  const child = spawn(process.execPath, [resolve(ROOT, 'apps', s.name, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...env, HTTP_PORT: process.env[`${s.name.toUpperCase().replace('-', '_')}_HTTP_PORT`] ?? String(s.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `\x1b[${s.color}m${s.name.padEnd(13)}\x1b[0m| `;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) process.stdout.write(prefix + l + '\n');
    });
  }
  child.on('exit', (code, sig) => {
    if (!stopping) log(`${s.name} exited (${code ?? sig})`);
  });
  children.push({ ...s, child });
}

async function shutdown() {
  if (stopping) return;
  stopping = true;
  log('Stopping services ...');
  await Promise.all(children.map(({ child }) => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))))));
  await stopInfra();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

async function ready(s) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${s.port}/health/ready`)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
const states = await Promise.all(children.map(ready));
children.forEach((s, i) => log(`${s.name.padEnd(13)} ${states[i] ? 'ready' : 'NOT READY'} on http://127.0.0.1:${s.port}`));
log('API: http://localhost:3000/api/v1  OpenAPI: http://localhost:3000/api/docs');

if (localAuth) log('Tokens: node scripts/mint-token.mjs <user_id> [--role user|moderator|admin]');
if (demo && states.every(Boolean) && localAuth) {
  const api = 'http://127.0.0.1:3000/api/v1';
  const token = await mintToken('demo-user', { role: 'user', name: 'Demo User', expiresIn: 24 * 3600 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = { configuration: { topic: 'Pythagorean theorem', context: 'Explain a² + b² = c² for right triangles, with a visual proof, for 8th graders.', quality: 'low' } };
  const created = await (await fetch(`${api}/videos/generate`, { method: 'POST', headers, body: JSON.stringify(body) })).json();
  log(`Demo job: ${JSON.stringify(created.data ?? created.error)}`);
  const id = created.data?.job_id;
  let last = '';
  while (id) {
    const s = (await (await fetch(`${api}/videos/jobs/${id}/status`, { headers })).json()).data;
    const line = `${s.status} ${s.progress.percentage}% ${s.progress.current_stage ?? ''}`;
    if (line !== last) log(`Demo job ${id}: ${line}`);
    last = line;
    if (['completed', 'failed', 'cancelled'].includes(s.status)) {
      if (s.status === 'completed') log(`Video: curl -H "Authorization: Bearer $(node scripts/mint-token.mjs demo-user)" -o video.mp4 ${api}/videos/jobs/${id}/download`);
      else log(`Demo job ended ${s.status}: ${JSON.stringify(s.error ?? {})}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
log('Platform running. Ctrl-C to stop.');
