import { VideoFormat, VideoQuality, VideoResolution } from '@vgp/contracts';
import { writeFile } from 'node:fs/promises';
import { runFfmpeg } from '../../media/ffmpeg.js';

export interface QualityProfile {
  width: number;
  height: number;
  fps: number;
  resolution: VideoResolution;
  /** x264 constant rate factor, capped by `maxrateK`. */
  crf: number;
  maxrateK: number;
  /** Target bitrate for encoders without CRF (VP9 realtime, MPEG-4, WMV). */
  bitrateK: number;
  audioK: number;
  /** x264 preset: veryfast; superfast at 4K, where veryfast's lookahead costs 3x for static slides. */
  preset: string;
}

/** Output size, frame rate and bitrate per `quality`. */
export const QUALITY_PROFILES: Record<VideoQuality, QualityProfile> = {
  [VideoQuality.LOW]: { width: 854, height: 480, fps: 24, resolution: VideoResolution.SD_480P, crf: 26, maxrateK: 1000, bitrateK: 800, audioK: 64, preset: 'veryfast' },
  [VideoQuality.MEDIUM]: { width: 1280, height: 720, fps: 30, resolution: VideoResolution.HD_720P, crf: 24, maxrateK: 2500, bitrateK: 1800, audioK: 96, preset: 'veryfast' },
  [VideoQuality.HIGH]: { width: 1920, height: 1080, fps: 30, resolution: VideoResolution.FHD_1080P, crf: 23, maxrateK: 5000, bitrateK: 3500, audioK: 96, preset: 'veryfast' },
  [VideoQuality.ULTRA]: { width: 3840, height: 2160, fps: 30, resolution: VideoResolution.UHD_4K, crf: 23, maxrateK: 16000, bitrateK: 12000, audioK: 96, preset: 'superfast' },
};

export interface FormatProfile {
  /** ffmpeg muxer. */
  muxer: string;
  extension: string;
  mime: string;
  videoCodec: string;
  audioCodec: string;
  args(q: QualityProfile): string[];
}

const x264 = (q: QualityProfile): string[] => [
  '-c:v', 'libx264', '-preset', q.preset, '-crf', String(q.crf), '-maxrate', `${q.maxrateK}k`, '-bufsize', `${q.maxrateK * 2}k`,
  '-pix_fmt', 'yuv420p', '-g', String(q.fps * 5),
];
// The native encoder's default "twoloop" coder costs 1.6 s per minute of speech, serially in
// ffmpeg's main loop; "fast" is 4x quicker and transparent for speech at these rates.
const aac = (q: QualityProfile): string[] => ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', `${q.audioK}k`, '-ac', '1'];

/** Container and codecs per `output_format`: every one a valid file of its kind. */
export const FORMAT_PROFILES: Record<VideoFormat, FormatProfile> = {
  [VideoFormat.MP4]: { muxer: 'mp4', extension: 'mp4', mime: 'video/mp4', videoCodec: 'h264', audioCodec: 'aac', args: (q) => [...x264(q), ...aac(q), '-movflags', '+faststart'] },
  [VideoFormat.MOV]: { muxer: 'mov', extension: 'mov', mime: 'video/quicktime', videoCodec: 'h264', audioCodec: 'aac', args: (q) => [...x264(q), ...aac(q), '-movflags', '+faststart'] },
  [VideoFormat.FLV]: { muxer: 'flv', extension: 'flv', mime: 'video/x-flv', videoCodec: 'h264', audioCodec: 'aac', args: (q) => [...x264(q), ...aac(q), '-ar', '44100'] },
  [VideoFormat.WEBM]: {
    muxer: 'webm',
    extension: 'webm',
    mime: 'video/webm',
    videoCodec: 'vp9',
    audioCodec: 'opus',
    // Realtime VP9: good enough for slides and several times faster than the default "good" deadline.
    args: (q) => [
      '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-b:v', `${q.bitrateK}k`, '-pix_fmt', 'yuv420p', '-g', String(q.fps * 5),
      '-c:a', 'libopus', '-b:a', `${Math.min(q.audioK, 64)}k`, '-ac', '1', '-ar', '48000',
    ],
  },
  [VideoFormat.AVI]: {
    muxer: 'avi',
    extension: 'avi',
    mime: 'video/x-msvideo',
    videoCodec: 'mpeg4',
    audioCodec: 'mp3',
    args: (q) => ['-c:v', 'mpeg4', '-vtag', 'xvid', '-b:v', `${q.bitrateK}k`, '-pix_fmt', 'yuv420p', '-g', String(q.fps * 5), '-c:a', 'libmp3lame', '-b:a', `${q.audioK}k`, '-ac', '1', '-ar', '44100'],
  },
  [VideoFormat.WMV]: {
    muxer: 'asf',
    extension: 'wmv',
    mime: 'video/x-ms-wmv',
    videoCodec: 'wmv2',
    audioCodec: 'wmav2',
    args: (q) => ['-c:v', 'wmv2', '-b:v', `${q.bitrateK}k`, '-pix_fmt', 'yuv420p', '-g', String(q.fps * 5), '-c:a', 'wmav2', '-b:a', `${q.audioK}k`, '-ac', '1', '-ar', '44100'],
  },
};

/** One still image of the video and how long it stays on screen. */
export interface Still {
  path: string;
  seconds: number;
}

/** The concat demuxer's list: each still decoded once, held for its duration. */
export function concatList(stills: Still[]): string {
  // Paths are made by the worker (temp dir + index), quoted for the demuxer anyway.
  const q = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;
  const lines = stills.flatMap((s) => [`file ${q(s.path)}`, `duration ${s.seconds.toFixed(6)}`]);
  // The last entry is repeated so its duration is honoured.
  if (stills.length) lines.push(`file ${q(stills[stills.length - 1].path)}`);
  return `ffconcat version 1.0\n${lines.join('\n')}\n`;
}

export interface EncodeOptions {
  ffmpeg: string;
  stills: Still[];
  /** Narration; null: a silent video (the bare benchmark). */
  audioPath: string | null;
  duration: number;
  quality: QualityProfile;
  format: FormatProfile;
  listPath: string;
  outPath: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Encoder threads (`-threads`); absent: ffmpeg sizes them from the machine's cores. */
  threads?: number;
}

/**
 * The ffmpeg arguments of one encode: stills through the concat demuxer, converted to YUV once per
 * still (before `fps` duplicates frames), and the narration muxed in the same pass.
 */
export function encodeArgs(o: Omit<EncodeOptions, 'ffmpeg' | 'stills' | 'signal' | 'onProgress'>): string[] {
  const q = o.quality;
  const args = ['-f', 'concat', '-safe', '0', '-i', o.listPath];
  if (o.audioPath) args.push('-i', o.audioPath);
  args.push(
    '-map', '0:v:0',
    ...(o.audioPath ? ['-map', '1:a:0'] : []),
    '-vf', `scale=${q.width}:${q.height}:flags=bicubic,format=yuv420p,fps=${q.fps}`,
    ...o.format.args(q).filter((_, i, all) => o.audioPath || !isAudioArg(all, i)),
    ...(o.threads ? ['-threads', String(o.threads)] : []),
    '-t', o.duration.toFixed(3),
    '-f', o.format.muxer,
    o.outPath,
  );
  return args;
}

const AUDIO_FLAGS = new Set(['-c:a', '-aac_coder', '-b:a', '-ac', '-ar']);
function isAudioArg(all: string[], i: number): boolean {
  return AUDIO_FLAGS.has(all[i]) || (i > 0 && AUDIO_FLAGS.has(all[i - 1]));
}

/** Encodes the video in one ffmpeg run, reporting progress from `-progress`. */
export async function encodeVideo(o: EncodeOptions): Promise<void> {
  await writeFile(o.listPath, concatList(o.stills));
  await runFfmpeg(o.ffmpeg, encodeArgs(o), { signal: o.signal, expectedSeconds: o.duration, onProgress: o.onProgress });
}
