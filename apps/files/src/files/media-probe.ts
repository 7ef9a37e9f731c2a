import { FileType, utf16ByteOrder } from '@vgp/contracts';
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  avg_frame_rate?: string;
  bit_rate?: string;
  disposition?: { attached_pic?: number };
}

interface ProbeFormat {
  duration?: string;
  bit_rate?: string;
  size?: string;
}

/** Cover art: a picture the container carries as a one-frame "video" stream, not a picture of the content. */
const isAttachedPicture = (s: ProbeStream) => s.disposition?.attached_pic === 1;

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

function frameRate(r: string | undefined): number | undefined {
  const [a, b] = (r ?? '').split('/').map(Number);
  return a && b ? round(a / b, 2) : undefined;
}

/**
 * What can be read from a file's content: image dimensions, audio/video duration and codecs
 * (ffprobe; cover art, a stream with `disposition.attached_pic`, is not the video: an MP3's
 * picture gives it no width, height or video codec, and its bytes are not counted in the bit
 * rate), the page count and title of a PDF (pdfinfo; a NUL character, which PostgreSQL cannot
 * store, is dropped from the title), the encoding of a text document (`utf-8`, or
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
  let info: { streams?: ProbeStream[]; format?: ProbeFormat };
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
    info = JSON.parse(stdout);
  } catch {
    return {};
  }
  const all = info.streams ?? [];
  // An image is its own picture; in audio and video files a picture stream is cover art.
  const streams = fileType === FileType.IMAGE ? all : all.filter((s) => !isAttachedPicture(s));
  const pictures = all.length - streams.length;
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
  const bitRate = pictures ? await contentBitRate(path, all, streams, info.format, timeoutMs) : Number(info.format?.bit_rate);
  if (Number.isFinite(bitRate)) out.bit_rate = bitRate;
  return out;
}

/**
 * The bit rate of a file's content without its cover art (the container's counts the pictures'
 * bytes: a 64 kb/s MP3 with a 90 KB cover said 767 kb/s): the sum of the other streams' own bit
 * rates, or where one has none (FLAC) the file's bytes less the pictures' over its duration. The
 * pictures' sizes are their packets, which demuxers hand out first (one `ffprobe` that reads no
 * further). NaN when it cannot be told.
 */
async function contentBitRate(path: string, all: ProbeStream[], content: ProbeStream[], format: ProbeFormat | undefined, timeoutMs: number): Promise<number> {
  const own = content.filter((s) => s.codec_type === 'audio' || s.codec_type === 'video').map((s) => Number(s.bit_rate));
  if (own.length && own.every((b) => Number.isFinite(b) && b > 0)) return own.reduce((a, b) => a + b, 0);
  const size = Number(format?.size);
  const duration = Number(format?.duration);
  if (!(Number.isFinite(size) && duration > 0)) return NaN;
  const pictures = new Set(all.filter(isAttachedPicture).map((s) => s.index));
  try {
    const { stdout } = await run(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=stream_index,size', '-read_intervals', `%+#${pictures.size}`, '-print_format', 'json', path],
      { timeout: timeoutMs, maxBuffer: 1024 * 1024 },
    );
    const packets: Array<{ stream_index?: number; size?: string }> = JSON.parse(stdout).packets ?? [];
    const seen = new Set<number>();
    let pictureBytes = 0;
    for (const p of packets) {
      if (p.stream_index === undefined || !pictures.has(p.stream_index) || seen.has(p.stream_index)) continue;
      seen.add(p.stream_index);
      pictureBytes += Number(p.size);
    }
    if (seen.size !== pictures.size || !Number.isFinite(pictureBytes)) return NaN;
    return Math.round(((size - pictureBytes) * 8) / duration);
  } catch {
    return NaN;
  }
}
