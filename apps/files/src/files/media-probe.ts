import { FileType, utf16ByteOrder } from '@vgp/contracts';
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  avg_frame_rate?: string;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

function frameRate(r: string | undefined): number | undefined {
  const [a, b] = (r ?? '').split('/').map(Number);
  return a && b ? round(a / b, 2) : undefined;
}

/**
 * What can be read from a file's content: image dimensions, audio/video duration and codecs
 * (ffprobe), the page count and title of a PDF (pdfinfo; a NUL character, which PostgreSQL
 * cannot store, is dropped from the title), the encoding of a text document (`utf-8`, or
 * `utf-16le`/`utf-16be` by its byte order mark). A tool that fails or runs too long just leaves its
 * fields out.
 */
export async function probeMedia(path: string, fileType: FileType, mime: string, timeoutMs: number): Promise<Record<string, any>> {
  if (mime.startsWith('text/')) {
    const fh = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
      return { encoding: utf16ByteOrder(buffer.subarray(0, bytesRead)) ?? 'utf-8' };
    } finally {
      await fh.close();
    }
  }
  if (mime === 'application/pdf') {
    try {
      const { stdout } = await run('pdfinfo', [path], { timeout: timeoutMs, maxBuffer: 1024 * 1024 });
      const pages = /^Pages:\s+(\d+)/m.exec(stdout);
      const title = /^Title:\s+(.+)$/m.exec(stdout);
      return { ...(pages ? { page_count: Number(pages[1]) } : {}), ...(title ? { title: title[1].replace(/\0/g, '').trim().slice(0, 200) } : {}) };
    } catch {
      return {};
    }
  }
  if (fileType !== FileType.IMAGE && fileType !== FileType.VIDEO && fileType !== FileType.AUDIO) return {};
  let info: { streams?: ProbeStream[]; format?: { duration?: string; bit_rate?: string; format_name?: string } };
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
    info = JSON.parse(stdout);
  } catch {
    return {};
  }
  const streams = info.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const out: Record<string, any> = {};
  if (video?.width && video?.height) {
    out.width = video.width;
    out.height = video.height;
  }
  if (fileType === FileType.IMAGE) return out;
  const duration = Number(info.format?.duration);
  if (Number.isFinite(duration)) out.duration_seconds = round(duration);
  if (fileType === FileType.VIDEO && video?.codec_name) {
    out.video_codec = video.codec_name;
    const fps = frameRate(video.avg_frame_rate);
    if (fps) out.frame_rate = fps;
  }
  if (audio?.codec_name) {
    out.audio_codec = audio.codec_name;
    if (audio.sample_rate) out.sample_rate = Number(audio.sample_rate);
    if (audio.channels) out.channels = audio.channels;
  }
  const bitRate = Number(info.format?.bit_rate);
  if (Number.isFinite(bitRate)) out.bit_rate = bitRate;
  return out;
}
