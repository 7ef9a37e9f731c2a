import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './http-client.js';
import { freePort } from './nats-server.js';

/** The repository root, found from this file (source or build). */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('nx.json not found above the testing lib');
    dir = up;
  }
  return dir;
})();

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs a built app (`apps/<name>/dist/main.js`) as its own process, as in production, and waits
 * until it answers `/health/ready` (or `/health/live` with `waitFor: 'live'`).
 */
export async function spawnService(
  name: string,
  env: Record<string, string>,
  opts: { port?: number; waitFor?: 'ready' | 'live' | 'none'; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const main = resolve(REPO_ROOT, 'apps', name, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx nx run-many -t build)`);
  const port = opts.port ?? (await freePort());
  const output: string[] = [];
  const proc = spawn(process.execPath, [main], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 500) output.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const svc: ServiceProcess = {
    name,
    port,
    url,
    proc,
    output,
    stop: (signal = 'SIGTERM') =>
      new Promise((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res(proc.exitCode);
        proc.once('exit', (code) => res(code));
        proc.kill(signal);
      }),
  };
  const check = opts.waitFor ?? 'ready';
  if (check !== 'none') {
    try {
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
          return (await fetch(`${url}/health/${check}`)).ok;
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100, what: `${name} ${check}` },
      );
    } catch (err) {
      await svc.stop('SIGKILL');
      throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${output.join('').slice(-4000)}`);
    }
  }
  return svc;
}
