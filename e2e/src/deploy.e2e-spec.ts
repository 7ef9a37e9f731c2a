import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestInfra, freePort, REPO_ROOT, type TestInfra, waitFor } from '@vgp/testing';

/**
 * The runtime layout of the Dockerfile, rebuilt from its own copy loops in a temp directory (no
 * container engine here): the migrations entry point (the Kubernetes initContainers' and compose's) runs in it against a
 * fresh database, and a service then starts from it without migrating itself.
 */
describe('the image layout: migrations, then a service', () => {
  let infra: TestInfra;
  let root: string;

  beforeAll(async () => {
    infra = await createTestInfra('deploy');
    const df = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const list = (v: string) => (df.match(new RegExp(`for ${v} in ([^;]+);`))?.[1] ?? '').trim().split(/\s+/);
    root = mkdtempSync(join(tmpdir(), 'vgp-image-'));
    cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
    for (const l of list('l')) {
      mkdirSync(join(root, 'libs', l), { recursive: true });
      cpSync(join(REPO_ROOT, 'libs', l, 'package.json'), join(root, 'libs', l, 'package.json'));
      cpSync(join(REPO_ROOT, 'libs', l, 'dist'), join(root, 'libs', l, 'dist'), { recursive: true });
    }
    for (const a of list('a')) cpSync(join(REPO_ROOT, 'apps', a, 'dist'), join(root, 'apps', a, 'dist'), { recursive: true });
    mkdirSync(join(root, 'scripts', 'lib'), { recursive: true });
    mkdirSync(join(root, 'deploy'));
    cpSync(join(REPO_ROOT, 'scripts', 'migrate.mjs'), join(root, 'scripts', 'migrate.mjs'));
    cpSync(join(REPO_ROOT, 'scripts', 'lib', 'infra.mjs'), join(root, 'scripts', 'lib', 'infra.mjs'));
    cpSync(join(REPO_ROOT, 'deploy', 'migrate-job.mjs'), join(root, 'deploy', 'migrate-job.mjs'));
  });

  afterAll(async () => {
    if (root) rmSync(root, { recursive: true, force: true });
    await infra?.cleanup();
  });

  const job = (env: Record<string, string>) => spawnSync(process.execPath, ['deploy/migrate-job.mjs'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });

  it('refuses to run without DATABASE_URL', () => {
    const r = job({});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL is required');
  });

  it('applies every service schema with the migrations entry point, then a service starts without migrating', async () => {
    const r = job({ DATABASE_URL: infra.databaseUrl });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const c = new pg.Client({ connectionString: infra.databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query("SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('users', 'jobs', 'videos', 'files') ORDER BY 1");
      expect(rows.map((x) => x.schema_name)).toEqual(['files', 'jobs', 'users', 'videos']);
    } finally {
      await c.end();
    }
    const port = await freePort();
    const proc = spawn(process.execPath, ['apps/jobs/dist/main.js'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...infra.env, HTTP_PORT: String(port), DATABASE_MIGRATE_ON_START: 'false' },
      stdio: 'ignore',
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 20_000, what: 'jobs from the image layout' });
    } finally {
      const exited = new Promise((res) => proc.once('exit', res));
      proc.kill('SIGTERM');
      await exited;
    }
  });
});
