import { describe, expect, it } from '@jest/globals';
import { VideoFormat, VideoQuality } from '@vgp/contracts';
import { cgroupCpuLimit } from '../../media/cpu-limit.js';
import { concatList, encodeArgs, FORMAT_PROFILES, QUALITY_PROFILES } from './encoder.js';

describe('encoder', () => {
  it('lists each still once with its duration, quoting paths for the concat demuxer', () => {
    expect(concatList([{ path: "/tmp/a'b.png", seconds: 1.5 }, { path: '/tmp/c.png', seconds: 2 }])).toBe(
      "ffconcat version 1.0\nfile '/tmp/a'\\''b.png'\nduration 1.500000\nfile '/tmp/c.png'\nduration 2.000000\nfile '/tmp/c.png'\n",
    );
  });

  it('converts each still to YUV before fps duplicates it, and muxes the narration in the same run', () => {
    const args = encodeArgs({ audioPath: '/w/n.wav', duration: 12.3456, quality: QUALITY_PROFILES[VideoQuality.MEDIUM], format: FORMAT_PROFILES[VideoFormat.MP4], listPath: '/w/l', outPath: '/w/v.mp4' });
    expect(args.join(' ')).toContain('-vf scale=1280:720:flags=bicubic,format=yuv420p,fps=30');
    expect(args.join(' ')).toContain('-c:v libx264 -preset veryfast');
    expect(args.join(' ')).toContain('-c:a aac -aac_coder fast -b:a 96k -ac 1');
    expect(args.slice(-5)).toEqual(['-t', '12.346', '-f', 'mp4', '/w/v.mp4']);
  });

  it('drops every audio option for a silent encode (the benchmark baseline)', () => {
    const args = encodeArgs({ audioPath: null, duration: 5, quality: QUALITY_PROFILES[VideoQuality.LOW], format: FORMAT_PROFILES[VideoFormat.WEBM], listPath: '/w/l', outPath: '/w/v.webm' });
    expect(args.filter((a) => /^-(c:a|b:a|ac|ar|aac_coder)$/.test(a) || a === 'libopus')).toEqual([]);
    expect(args).toContain('libvpx-vp9');
  });

  it('bounds the encoder threads when told (a container\'s CPU limit), and leaves them to ffmpeg otherwise', () => {
    const base = { audioPath: '/w/n.wav', duration: 5, quality: QUALITY_PROFILES[VideoQuality.LOW], format: FORMAT_PROFILES[VideoFormat.MP4], listPath: '/w/l', outPath: '/w/v.mp4' };
    const bounded = encodeArgs({ ...base, threads: 2 });
    expect(bounded.slice(-7)).toEqual(['-threads', '2', '-t', '5.000', '-f', 'mp4', '/w/v.mp4']);
    expect(encodeArgs(base)).not.toContain('-threads');
  });
});

describe('cgroupCpuLimit', () => {
  const files = (map: Record<string, string>) => (path: string) => {
    if (!(path in map)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return map[path];
  };
  it('reads a container\'s CPU quota, rounded up, from cgroup v2 or v1', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }))).toBe(2);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }))).toBe(2);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' }))).toBe(1);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '400000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }))).toBe(4);
  });

  it('answers null without a quota or a cgroup to read', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBeNull();
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }))).toBeNull();
    expect(cgroupCpuLimit(files({}))).toBeNull();
  });
});
