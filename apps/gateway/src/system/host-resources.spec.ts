import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuSampler, systemResources } from './host-resources.js';

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
