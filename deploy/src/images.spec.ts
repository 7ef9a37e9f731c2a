import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { REPO_DIR } from './kustomize-lite.js';

const APPS = ['gateway', 'jobs', 'videos', 'files', 'users', 'render-worker'];

function composeConfig(env: Record<string, string>) {
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: REPO_DIR,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
  });
}

describe('docker-compose.yml', () => {
  const secrets = { POSTGRES_PASSWORD: 'compose-test', CLERK_ISSUER: 'https://clerk.example.com', FILES_SIGNING_SECRET: 'compose-test-signing-secret-0123456789' };
  const out = composeConfig(secrets);
  const config = load(out.stdout) as any;

  it('is valid for docker-compose and refuses to run without its secrets', () => {
    expect(out.stderr).not.toMatch(/ERROR/);
    expect(out.status).toBe(0);
    expect(spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: REPO_DIR, env: { ...process.env, ...secrets } }).status).toBe(0);
    for (const name of Object.keys(secrets)) {
      const missing = composeConfig({ ...secrets, [name]: '' });
      expect([name, missing.status === 0]).toEqual([name, false]);
      expect(missing.stderr).toContain(name);
    }
  });

  it('runs every app from the Dockerfile, non-root, read-only, with a health check and healthy dependencies', () => {
    for (const app of APPS) {
      const s = config.services[app];
      expect(s.build).toMatchObject({ dockerfile: 'Dockerfile', args: { APP: app } });
      expect(s.user).toBe('1000:1000');
      expect(s.read_only).toBe(true);
      expect(s.cap_drop).toEqual(['ALL']);
      expect(s.healthcheck.test.join(' ')).toContain('/health/ready');
      expect(s.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, nats: { condition: 'service_healthy' }, migrations: { condition: 'service_completed_successfully' } });
      expect(s.environment.DATABASE_MIGRATE_ON_START).toBe('false');
      expect(s.environment.DATABASE_URL).toContain('compose-test');
    }
    expect(config.services.gateway.depends_on).toMatchObject({ users: { condition: 'service_healthy' }, jobs: { condition: 'service_healthy' } });
    expect(config.services['render-worker'].depends_on).toMatchObject({ jobs: { condition: 'service_healthy' } });
    expect(config.services.migrations.command).toEqual(['node', 'deploy/migrate-job.mjs']);
    expect(config.services.postgres.healthcheck).toBeDefined();
    expect(config.services.nats.healthcheck).toBeDefined();
  });
});

describe('Dockerfile', () => {
  const df = readFileSync(join(REPO_DIR, 'Dockerfile'), 'utf8');

  it('is multi-stage, keeps production dependencies only and runs as a non-root user', () => {
    expect(df.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(df).toMatch(/npm prune --omit=dev/);
    const lines = df.split('\n');
    const user = lines.findIndex((l) => /^USER node\b/.test(l));
    expect(user).toBeGreaterThan(lines.findIndex((l) => /^FROM .* AS runtime/.test(l)));
    expect(user).toBeLessThan(lines.findIndex((l) => /^CMD /.test(l)));
    // Media tools only where they are used.
    expect(df).toMatch(/"\$APP" = "render-worker" \] \|\| \[ "\$APP" = "files" \].*\n.*ffmpeg espeak-ng fonts-dejavu-core fonts-wqy-microhei fonts-symbola poppler-utils/);
    expect(df).toMatch(/HEALTHCHECK .*\n.*\/health\/ready/);
  });

  it('copies what the migrations entry point imports, where it imports it from', () => {
    const job = readFileSync(join(REPO_DIR, 'deploy', 'migrate-job.mjs'), 'utf8');
    expect(job).toContain("from '../scripts/migrate.mjs'");
    expect(readFileSync(join(REPO_DIR, 'scripts', 'migrate.mjs'), 'utf8')).toContain("from './lib/infra.mjs'");
    expect(df).toContain('cp scripts/migrate.mjs /out/scripts/ && cp scripts/lib/infra.mjs /out/scripts/lib/');
    for (const app of ['users', 'jobs', 'videos', 'files']) expect(df).toMatch(new RegExp(`for a in [^;]*\\b${app}\\b`));
    // The migration runner the script loads (openDataSource: advisory lock, then the migrations).
    expect(df).toMatch(/for l in [^;]*\bpersistence\b/);
  });

  it("migrates every schema, or only the named service's (the Kubernetes initContainers), and refuses other names", () => {
    const job = (args: string[], env: Record<string, string>) =>
      spawnSync(process.execPath, [join(REPO_DIR, 'deploy', 'migrate-job.mjs'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
    const migrate = readFileSync(join(REPO_DIR, 'scripts', 'migrate.mjs'), 'utf8');
    const withSchema = JSON.parse(migrate.match(/export const SERVICES_WITH_SCHEMA = (\[[^\]]*\])/)?.[1].replaceAll("'", '"') ?? '[]');
    expect([...withSchema].sort()).toEqual(['files', 'jobs', 'users', 'videos']);
    expect(job(['jobs'], {}).stderr).toContain('DATABASE_URL is required');
    // Refused before any connection (nothing listens on port 1).
    const unknown = job(['jobs', 'gateway'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No schema for gateway');
  });
});
