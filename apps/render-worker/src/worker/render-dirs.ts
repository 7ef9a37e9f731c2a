import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Job working directories: `vgp-render-<pid of the worker>-<random>`. */
const PREFIX = 'vgp-render-';
const NAMED = /^vgp-render-(\d+)-[A-Za-z0-9]{6}$/;
/** `vgp-render-<random>`: the directories of workers from before the pid was in the name. */
const UNNAMED = /^vgp-render-[A-Za-z0-9]{6}$/;
/** No render lasts this long: a directory untouched this long is abandoned whoever made it. */
export const ABANDONED_AFTER_MS = 6 * 3600 * 1000;

/** Whether process `pid` runs on this machine (in this pid namespace). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A new job working directory under `root`, named after this process. */
export function makeRenderDir(root: string): Promise<string> {
  return mkdtemp(join(root, `${PREFIX}${process.pid}-`));
}

/**
 * Removes the job working directories under `root` that no running render uses: those of a worker
 * that is gone (killed mid-job: its pid no longer runs); those named after this process but older
 * than it (a worker restarted in its container has the pid of the one that was killed, often 1);
 * and any untouched for `ABANDONED_AFTER_MS` (a reused pid, or a name without one). Another live
 * worker's directories (workers sharing a temp dir) and this process's own stay. Answers the
 * directories removed.
 */
export async function sweepRenderDirs(
  root: string,
  opts: { ownPid?: number; startedAt?: number; now?: number; alive?: (pid: number) => boolean } = {},
): Promise<string[]> {
  const ownPid = opts.ownPid ?? process.pid;
  const now = opts.now ?? Date.now();
  const startedAt = opts.startedAt ?? now - process.uptime() * 1000;
  const alive = opts.alive ?? processAlive;
  const removed: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(PREFIX)) continue;
    const named = NAMED.exec(entry.name);
    if (!named && !UNNAMED.test(entry.name)) continue;
    const path = join(root, entry.name);
    const info = await stat(path).catch(() => null);
    if (!info) continue;
    const pid = named ? Number(named[1]) : undefined;
    const abandoned =
      now - info.mtimeMs > ABANDONED_AFTER_MS || (pid === ownPid ? info.mtimeMs < startedAt : pid !== undefined && !alive(pid));
    if (!abandoned) continue;
    await rm(path, { recursive: true, force: true, maxRetries: 3 });
    removed.push(path);
  }
  return removed;
}
