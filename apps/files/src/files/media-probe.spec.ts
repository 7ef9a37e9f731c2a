import { afterAll, describe, expect, it } from '@jest/globals';
import { FileType } from '@vgp/contracts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeMedia } from './media-probe.js';

describe('probeMedia of audio and video with cover art (real files made by ffmpeg)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgp-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => join(dir, name);
  const ffmpeg = (args: string[], name: string) => {
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, file(name)]);
    return file(name);
  };
  // A noisy 256x256 PNG (about 90 KB, so it would weigh in any bit rate) and a small 64x64 one.
  const noise = ffmpeg(['-f', 'lavfi', '-i', 'nullsrc=s=256x256,geq=random(1)*255:128:128', '-frames:v', '1'], 'noise.png');
  const small = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=64x64', '-frames:v', '1'], 'small.png');
  const sine = ['-f', 'lavfi', '-i', 'sine=duration=1'];
  const probe = (path: string, type: FileType, mime: string) => probeMedia(path, type, mime, 10_000);

  it('gives an MP3 with a cover no width, height or video codec, and the audio stream\'s bit rate', async () => {
    const plain = ffmpeg([...sine, '-c:a', 'libmp3lame', '-b:a', '64k'], 'plain.mp3');
    const cover = ffmpeg(['-i', plain, '-i', noise, '-map', '0', '-map', '1', '-c', 'copy', '-id3v2_version', '3'], 'cover.mp3');
    const meta = await probe(cover, FileType.AUDIO, 'audio/mpeg');
    expect(meta).toEqual({ duration_seconds: expect.any(Number), audio_codec: 'mp3', sample_rate: 44100, channels: 1, bit_rate: 64000 });
    // The file without its cover: the same fields.
    const without = await probe(plain, FileType.AUDIO, 'audio/mpeg');
    expect(Object.keys(without).sort()).toEqual(Object.keys(meta).sort());
    expect(without.bit_rate).toBeLessThan(70_000);
  });

  it('takes a FLAC\'s bit rate (no stream has one) from its bytes less its covers', async () => {
    const plain = ffmpeg(sine, 'plain.flac');
    const covered = ffmpeg(['-i', plain, '-i', noise, '-i', small, '-map', '0', '-map', '1', '-map', '2', '-c', 'copy', '-disposition:v', 'attached_pic'], 'cover.flac');
    const meta = await probe(covered, FileType.AUDIO, 'audio/flac');
    expect(meta).not.toHaveProperty('width');
    expect(meta).not.toHaveProperty('height');
    expect(meta).not.toHaveProperty('video_codec');
    expect(meta.audio_codec).toBe('flac');
    const audioBits = (statSync(plain).size * 8) / meta.duration_seconds;
    // Within the FLAC's own headers of its size alone; the two covers would add more than 700 kb/s.
    expect(Math.abs(meta.bit_rate - audioBits)).toBeLessThan(audioBits * 0.05);
    expect(meta.bit_rate).toBeLessThan((statSync(covered).size * 8) / meta.duration_seconds / 2);
  });

  it('gives an M4A with a cover its AAC stream\'s bit rate', async () => {
    const plain = ffmpeg([...sine, '-c:a', 'aac', '-b:a', '64k'], 'plain.m4a');
    const covered = ffmpeg(['-i', plain, '-i', noise, '-map', '0', '-map', '1', '-c', 'copy', '-disposition:v:0', 'attached_pic'], 'cover.m4a');
    const meta = await probe(covered, FileType.AUDIO, 'audio/x-m4a');
    expect(meta).not.toHaveProperty('width');
    expect(meta.audio_codec).toBe('aac');
    expect(meta.bit_rate).toBeLessThan(100_000);
  });

  it('reads a video\'s own dimensions and codec when a cover comes first', async () => {
    const clip = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=160x120:rate=10:duration=1', ...sine, '-shortest', '-c:v', 'libx264', '-c:a', 'aac'], 'clip.mp4');
    const covered = ffmpeg(['-i', noise, '-i', clip, '-map', '0', '-map', '1', '-c', 'copy', '-disposition:v:0', 'attached_pic'], 'cover.mp4');
    const meta = await probe(covered, FileType.VIDEO, 'video/mp4');
    expect(meta).toMatchObject({ width: 160, height: 120, video_codec: 'h264', frame_rate: 10, audio_codec: 'aac' });
    expect(meta.bit_rate).toBeLessThan(500_000);
  });

  it('still reads an image\'s own dimensions and a plain file\'s container bit rate', async () => {
    expect(await probe(noise, FileType.IMAGE, 'image/png')).toEqual({ width: 256, height: 256 });
    const clip = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=160x120:rate=10:duration=1', '-c:v', 'libx264'], 'plain.mp4');
    const meta = await probe(clip, FileType.VIDEO, 'video/mp4');
    expect(meta).toMatchObject({ width: 160, height: 120, video_codec: 'h264' });
    expect(meta.bit_rate).toBeGreaterThan(0);
  });
});
