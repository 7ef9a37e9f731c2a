import { statfs } from 'node:fs/promises';
import type { StatsFs } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { timed } from '@vgp/observability';
import { round } from './traffic-window.js';

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

/** Busy share of all CPUs between two readings of the kernel's counters. */
export class CpuSampler {
  private last = cpuTimes();
  private lastPercent: number | null = null;

  /** Busy percent since the previous call (measured over at least 100 ms). */
  async percent(): Promise<number> {
    let now = cpuTimes();
    if (now.total - this.last.total < 10 * cpus().length) {
      // Too short an interval to say anything: measure over 100 ms.
      if (this.lastPercent !== null) return this.lastPercent;
      await new Promise((r) => setTimeout(r, 100));
      now = cpuTimes();
    }
    const total = now.total - this.last.total;
    const idle = now.idle - this.last.idle;
    this.last = now;
    this.lastPercent = total > 0 ? round(((total - idle) / total) * 100, 1) : 0;
    return this.lastPercent;
  }
}

export interface DiskFigures {
  path: string;
  /** The file system's size (`df`'s Size: statfs `blocks`), root's reserve included. */
  total_bytes: number;
  /** What the services can still write (`df`'s Avail: statfs `bavail`). */
  free_bytes: number;
  /** What is written (`df`'s Used: all blocks but the free ones, `bfree`). */
  used_bytes: number;
  /** free / (used + free): 100 - used_percent. */
  free_percent: number;
  /** used / (used + free): `df`'s Use% (which rounds it up to a whole number). */
  used_percent: number;
}

/** The block counts of `statfs` that the figures are made of. */
export type BlockCounts = Pick<StatsFs, 'bsize' | 'blocks' | 'bfree' | 'bavail'>;

/**
 * One definition of a file system's figures, that of `df`: size = blocks, used = blocks - bfree,
 * free = bavail (what a process without root's reserve may still write), and the percents of
 * used + free, as `df`'s Use%. Blocks reserved for root count as neither, so `/system/metrics`'
 * disk_percent and `/system/health`'s free_percent add up to 100, and a file system that is full
 * for the services reads 100 % used however much root's reserve keeps free.
 */
export function diskFiguresOf(path: string, s: BlockCounts): DiskFigures {
  const used = (s.blocks - s.bfree) * s.bsize;
  const free = s.bavail * s.bsize;
  const usable = used + free;
  const free_percent = usable ? round((free / usable) * 100, 1) : 0;
  return { path, total_bytes: s.blocks * s.bsize, free_bytes: free, used_bytes: used, free_percent, used_percent: usable ? round(100 - free_percent, 1) : 0 };
}

/** Free space of the file system holding `path` (its nearest existing ancestor if it is not there yet). */
export async function diskFigures(path: string): Promise<DiskFigures & { exists: boolean }> {
  let p = resolve(path);
  let exists = true;
  for (;;) {
    try {
      return { ...diskFiguresOf(p, await statfs(p)), exists };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw err;
      exists = false;
      p = dirname(p);
    }
  }
}

const GB = 1024 ** 3;

/**
 * The spec's `system_resources`, all read from the host the gateway runs on; the disk figures as
 * `diskFiguresOf` defines them (those of `/system/health`'s `blob_storage`). The storage's file
 * system is asked within `timeoutMs`: one that cannot be read (permissions, a stuck network mount)
 * gives null disk figures instead of failing or holding the whole answer.
 */
export async function systemResources(cpu: CpuSampler, storageDir: string, timeoutMs = 2000): Promise<Record<string, number | string | null>> {
  const total = totalmem();
  const used = total - freemem();
  const disk = (await timed(() => diskFigures(storageDir), timeoutMs)).value;
  return {
    cpu_percent: await cpu.percent(),
    cpu_count: cpus().length,
    load_average_1m: round(loadavg()[0], 2),
    memory_total_gb: round(total / GB, 2),
    memory_used_gb: round(used / GB, 2),
    memory_percent: round((used / total) * 100, 1),
    disk_total_gb: disk ? round(disk.total_bytes / GB, 2) : null,
    disk_used_gb: disk ? round(disk.used_bytes / GB, 2) : null,
    disk_percent: disk ? disk.used_percent : null,
  };
}
