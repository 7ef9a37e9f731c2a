import { open, readFile } from 'node:fs/promises';

/** 16-bit PCM audio, as espeak-ng writes it. */
export interface Pcm {
  sampleRate: number;
  channels: number;
  /** Raw little-endian 16-bit samples. */
  data: Buffer;
}

/** Reads a PCM WAV file (walks the RIFF chunks: espeak-ng's header is not always 44 bytes). */
export async function readWav(path: string): Promise<Pcm> {
  const buf = await readFile(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let off = 12;
  let sampleRate = 22050;
  let channels = 1;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      const bits = buf.readUInt16LE(body + 14);
      if (bits !== 16) throw new Error(`${path}: ${bits}-bit audio is not supported`);
    } else if (id === 'data') {
      // espeak-ng writing to a file may leave the size at 0x7fffffff: take what is there.
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      return { sampleRate, channels, data: buf.subarray(body, body + size) };
    }
    off = body + size + (size % 2);
  }
  throw new Error(`${path} has no data chunk`);
}

export function pcmSeconds(p: Pick<Pcm, 'sampleRate' | 'channels'>, bytes: number): number {
  return bytes / 2 / p.channels / p.sampleRate;
}

/** Bytes of silence lasting `seconds`, whole samples. */
export function silence(p: Pick<Pcm, 'sampleRate' | 'channels'>, seconds: number): Buffer {
  return Buffer.alloc(Math.round(seconds * p.sampleRate) * p.channels * 2);
}

/** Writes PCM chunks as one WAV file. */
export async function writeWav(path: string, format: Pick<Pcm, 'sampleRate' | 'channels'>, chunks: Buffer[]): Promise<number> {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.sampleRate, 24);
  header.writeUInt32LE(format.sampleRate * format.channels * 2, 28);
  header.writeUInt16LE(format.channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(length, 40);
  const fh = await open(path, 'w');
  try {
    await fh.write(header);
    for (const c of chunks) await fh.write(c);
  } finally {
    await fh.close();
  }
  return length;
}

/**
 * Cuts the leading and trailing silence of speech (espeak-ng ends each utterance with about a
 * third of a second of it), keeping `marginSeconds`: cue times then bound what is heard.
 */
export function trimSilence(p: Pcm, threshold = 330, marginSeconds = 0.01): Pcm {
  const frame = 2 * p.channels;
  const n = Math.floor(p.data.length / frame);
  const loud = (i: number): boolean => {
    for (let c = 0; c < p.channels; c++) if (Math.abs(p.data.readInt16LE(i * frame + c * 2)) > threshold) return true;
    return false;
  };
  let a = 0;
  while (a < n && !loud(a)) a++;
  if (a === n) return { ...p, data: p.data.subarray(0, 0) };
  let b = n - 1;
  while (b > a && !loud(b)) b--;
  const m = Math.round(marginSeconds * p.sampleRate);
  return { ...p, data: p.data.subarray(Math.max(0, a - m) * frame, Math.min(n, b + 1 + m) * frame) };
}
