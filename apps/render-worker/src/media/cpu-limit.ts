import { readFileSync } from 'node:fs';

/**
 * The CPUs this process may use under its cgroup's quota (a container's CPU limit), rounded up;
 * null when there is none or it cannot be read. cgroup v2 `cpu.max` ("200000 100000": 2 CPUs;
 * "max 100000": none), else cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none).
 */
export function cgroupCpuLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | null {
  const quota = (q: number, period: number) => (Number.isFinite(q) && Number.isFinite(period) && q > 0 && period > 0 ? Math.max(1, Math.ceil(q / period)) : null);
  try {
    const [q, period] = read('/sys/fs/cgroup/cpu.max').trim().split(/\s+/);
    return q === 'max' ? null : quota(Number(q), Number(period));
  } catch {
    try {
      return quota(Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').trim()), Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us').trim()));
    } catch {
      return null;
    }
  }
}
