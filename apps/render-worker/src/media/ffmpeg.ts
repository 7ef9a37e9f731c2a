import { runProcess, type RunOptions } from './process-runner.js';

export interface MediaToolPaths {
  ffmpeg: string;
  ffprobe: string;
  espeak: string;
  /** Threads of the video encode (`-threads`); absent: ffmpeg's own choice (from the machine's cores). */
  ffmpegThreads?: number;
}

export const DEFAULT_TOOL_PATHS: MediaToolPaths = { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', espeak: 'espeak-ng' };

export interface FfmpegRunOptions {
  signal?: AbortSignal;
  /** Seconds of output expected: turns `-progress` into a fraction. */
  expectedSeconds?: number;
  onProgress?: (fraction: number) => void;
}

/**
 * Runs ffmpeg with `-progress pipe:1`, reporting the fraction of `expectedSeconds` written so far.
 */
export async function runFfmpeg(ffmpeg: string, args: readonly string[], opts: FfmpegRunOptions = {}): Promise<void> {
  const run: RunOptions = { signal: opts.signal };
  if (opts.onProgress && opts.expectedSeconds) {
    const total = opts.expectedSeconds;
    const report = opts.onProgress;
    run.onStdoutLine = (line) => {
      // out_time_us is microseconds of output written (out_time_ms is also microseconds in ffmpeg 5).
      const m = /^out_time_us=(\d+)$/.exec(line);
      if (m) report(Math.max(0, Math.min(1, Number(m[1]) / 1e6 / total)));
    };
  }
  await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-nostats', '-progress', 'pipe:1', '-y', ...args], run);
}

export interface ProbeStream {
  index: number;
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
}

export interface ProbeResult {
  format_name: string;
  duration: number;
  size: number;
  bit_rate: number;
  streams: ProbeStream[];
  video?: ProbeStream;
  audio?: ProbeStream;
}

/** ffprobe's view of a media file. */
export async function probe(ffprobe: string, file: string, signal?: AbortSignal): Promise<ProbeResult> {
  const { stdout } = await runProcess(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { signal });
  const j = JSON.parse(stdout) as { format: Record<string, string>; streams: ProbeStream[] };
  const streams = j.streams ?? [];
  return {
    format_name: j.format.format_name,
    duration: Number(j.format.duration),
    size: Number(j.format.size),
    bit_rate: Number(j.format.bit_rate),
    streams,
    video: streams.find((s) => s.codec_type === 'video'),
    audio: streams.find((s) => s.codec_type === 'audio'),
  };
}
