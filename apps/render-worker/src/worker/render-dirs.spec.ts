import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABANDONED_AFTER_MS, makeRenderDir, processAlive, sweepRenderDirs } from './render-dirs.js';

describe('sweepRenderDirs', () => {
  let root: string;
  let other: ChildProcess;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vgp-render-dirs-spec-'));
    // Another worker, alive for the whole test.
    other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  });

  afterAll(async () => {
    other.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  /** A working dir with a frame in it, last changed at `mtime`. */
  async function dir(name: string, mtime = new Date()): Promise<string> {
    const path = join(root, name);
    await mkdir(path);
    await writeFile(join(path, 'frame-0001.png'), 'x');
    await utimes(path, mtime, mtime);
    return path;
  }

  it('removes the dirs of killed workers and of this pid before it started, keeps live ones', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(processAlive(dead)).toBe(false);
    expect(processAlive(other.pid as number)).toBe(true);
    const now = Date.now();
    const startedAt = now - 60_000;
    const killed = await dir(`vgp-render-${dead}-AbC123`);
    // Restarted in its container with the pid of the worker that was killed (often 1).
    const predecessor = await dir(`vgp-render-4242-Def456`, new Date(startedAt - 5_000));
    const own = await dir(`vgp-render-4242-Ghi789`, new Date(startedAt + 5_000));
    const otherWorkers = await dir(`vgp-render-${other.pid}-Jkl012`);
    const oldUnnamed = await dir('vgp-render-Mno345', new Date(now - ABANDONED_AFTER_MS - 60_000));
    const freshUnnamed = await dir('vgp-render-Pqr678');
    const reusedPid = await dir(`vgp-render-${other.pid}-Stu901`, new Date(now - ABANDONED_AFTER_MS - 60_000));
    // Not working dirs: left alone whatever their age.
    const unrelated = await dir('vgp-render-dirs-notes', new Date(now - ABANDONED_AFTER_MS - 60_000));
    await writeFile(join(root, `vgp-render-${dead}-Vwx234`), 'a file, not a dir');

    const removed = await sweepRenderDirs(root, { ownPid: 4242, startedAt, now });

    expect(removed.sort()).toEqual([killed, predecessor, oldUnnamed, reusedPid].sort());
    for (const p of removed) expect(existsSync(p)).toBe(false);
    for (const p of [own, otherWorkers, freshUnnamed, unrelated, join(root, `vgp-render-${dead}-Vwx234`)]) expect(existsSync(p)).toBe(true);
  });

  it('never removes a dir this process made, in a sweep at start or later', async () => {
    const made = await makeRenderDir(root);
    expect(made).toMatch(new RegExp(`/vgp-render-${process.pid}-[A-Za-z0-9]{6}$`));
    await sweepRenderDirs(root);
    await sweepRenderDirs(root, { startedAt: Date.now() - 1000 });
    expect(existsSync(made)).toBe(true);
    expect((await readdir(root)).includes(made.slice(root.length + 1))).toBe(true);
  });
});
