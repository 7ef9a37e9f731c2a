import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuSampler, diskFigures, diskFiguresOf, systemResources } from './host-resources.js';

const GB = 1024 ** 3;

describe('disk figures: one definition, that of df', () => {
  it('counts size = blocks, used = blocks - bfree and free = bavail, percents of used + free (root\'s reserve is neither)', () => {
    // statfs of a file system with most of its free blocks reserved for root (df: Size 252G, Used 24G, Avail 78G, Use% 24%).
    const d = diskFiguresOf('/', { bsize: 4096, blocks: 66_053_021, bfree: 59_772_859, bavail: 20_317_566 });
    expect(d).toEqual({
      path: '/',
      used_bytes: 25_723_543_552,
      free_bytes: 83_220_750_336,
      total_bytes: 270_553_174_016,
      used_percent: 23.6,
      free_percent: 76.4,
    });
    // Full for the services (only root's reserve left): 100 % used, not "mostly free".
    expect(diskFiguresOf('/', { bsize: 4096, blocks: 1000, bfree: 50, bavail: 0 })).toMatchObject({ used_percent: 100, free_percent: 0, free_bytes: 0 });
    expect(diskFiguresOf('/', { bsize: 4096, blocks: 0, bfree: 0, bavail: 0 })).toMatchObject({ used_percent: 0, free_percent: 0, total_bytes: 0 });
  });

  it('/system/metrics\' disk figures are /system/health\'s: its disk_percent and free_percent add up to 100', async () => {
    const dir = tmpdir();
    const [health, metrics] = await Promise.all([diskFigures(dir), systemResources(new CpuSampler(), dir)]);
    expect(health.used_percent + health.free_percent).toBeCloseTo(100, 5);
    expect(health.used_bytes + health.free_bytes).toBeLessThanOrEqual(health.total_bytes);
    // (Other processes write meanwhile: within a tenth of a percent.)
    expect(Math.abs((metrics.disk_percent as number) - health.used_percent)).toBeLessThanOrEqual(0.1);
    expect(Math.abs((metrics.disk_percent as number) + health.free_percent - 100)).toBeLessThanOrEqual(0.1);
    expect(metrics.disk_total_gb).toBeCloseTo(health.total_bytes / GB, 2);
  });

  it('agrees with df on this machine', async () => {
    let out: string;
    try {
      out = execFileSync('df', ['-P', '-B1', tmpdir()], { encoding: 'utf8' });
    } catch {
      return; // no df here
    }
    const [, size, used, avail, capacity] = (out.trim().split('\n').at(-1) ?? '').trim().split(/\s+/);
    const d = await diskFigures(tmpdir());
    expect(d.total_bytes).toBe(Number(size));
    // df rounds Use% up to a whole number.
    const dfPercent = Number(capacity.replace('%', ''));
    expect(d.used_percent).toBeGreaterThanOrEqual(dfPercent - 1);
    expect(d.used_percent).toBeLessThanOrEqual(dfPercent);
    expect(Math.abs(d.used_bytes - Number(used)) / GB).toBeLessThan(1);
    expect(Math.abs(d.free_bytes - Number(avail)) / GB).toBeLessThan(1);
  });
});

describe('systemResources', () => {
  it('reads the storage\'s file system, or its nearest existing ancestor', async () => {
    const r = await systemResources(new CpuSampler(), join(tmpdir(), 'not-created-yet', 'storage'));
    expect(r.disk_total_gb).toEqual(expect.any(Number));
    expect(r.disk_percent).toEqual(expect.any(Number));
  });

  it('gives null disk figures, not an error, for a storage path that cannot be read', async () => {
    // A path under a file: statfs answers ENOTDIR, which failed the whole /system/metrics (500).
    const dir = await mkdtemp(join(tmpdir(), 'host-resources-'));
    await writeFile(join(dir, 'a-file'), 'x');
    const r = await systemResources(new CpuSampler(), join(dir, 'a-file', 'storage'));
    await rm(dir, { recursive: true, force: true });
    expect(r).toMatchObject({ disk_total_gb: null, disk_used_gb: null, disk_percent: null, memory_total_gb: expect.any(Number), cpu_count: expect.any(Number) });
  });
});
