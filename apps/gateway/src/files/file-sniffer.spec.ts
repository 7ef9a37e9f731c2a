import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headText, sniffType } from './file-sniffer.js';

/** Real files made by ffmpeg, so the magic bytes are the real ones. */
function ffmpeg(args: string[], name: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'vgp-sniff-'));
  try {
    execFileSync('ffmpeg', ['-v', 'error', ...args, join(dir, name)]);
    return readFileSync(join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('sniffType (file-type inside jest on Node 20, plus text)', () => {
  it('reads binary types from magic bytes, whatever the name says', async () => {
    const png = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x32', '-frames:v', '1'], 'x.png');
    expect(await sniffType(png, 'holiday.pdf')).toEqual({ mime: 'image/png', allowed: { file_type: 'image', ext: 'png' } });
    const wav = ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.1'], 'x.wav');
    expect((await sniffType(wav, 'a.wav')).allowed).toEqual({ file_type: 'audio', ext: 'wav' });
    expect((await sniffType(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n'), 'doc.txt')).allowed).toEqual({ file_type: 'document', ext: 'pdf' });
  });

  it('refuses executables and unknown binaries even when named like documents', async () => {
    const elf = readFileSync(process.execPath).subarray(0, 65536);
    expect(await sniffType(elf, 'report.pdf')).toEqual({ mime: 'application/x-elf', allowed: null });
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]);
    expect((await sniffType(pe, 'setup.png')).allowed).toBeNull();
    expect(await sniffType(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]), 'x.txt')).toEqual({ mime: null, allowed: null });
  });

  it('treats UTF-8 as text: HTML by its start, Markdown by name, else plain', async () => {
    expect((await sniffType(Buffer.from('<!DOCTYPE html><html><body>Hi</body></html>'), 'page.txt')).mime).toBe('text/html');
    expect((await sniffType(Buffer.from('# Title\n\nSome *text*'), 'notes.md')).mime).toBe('text/markdown');
    expect((await sniffType(Buffer.from('a² + b² = c²'), 'notes.txt')).mime).toBe('text/plain');
    // A head cut in the middle of a multi-byte character is still text.
    expect((await sniffType(Buffer.from('ab²').subarray(0, 3), 'x.txt')).mime).toBe('text/plain');
    expect((await sniffType(Buffer.alloc(0), 'empty.txt')).mime).toBeNull();
  });

  it('treats UTF-16 with its byte order mark as text, and refuses binary that only starts like it', async () => {
    const le = (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
    const be = (t: string) => Buffer.from(le(t).map((_, i, b) => b[i ^ 1]));
    expect((await sniffType(le('a² + b² = c²\r\n'), 'notes.txt')).mime).toBe('text/plain');
    expect((await sniffType(be('a² + b² = c²'), 'notes.txt')).mime).toBe('text/plain');
    expect((await sniffType(le('<!DOCTYPE html><html><body>Hi</body></html>'), 'page.txt')).mime).toBe('text/html');
    expect((await sniffType(le('# Title'), 'notes.md')).mime).toBe('text/markdown');
    // A head cut inside a character (an odd byte, half of a surrogate pair) is still text.
    expect((await sniffType(le('ab𝜋').subarray(0, 9), 'x.txt')).mime).toBe('text/plain');
    expect(headText(le('ab'))).toBe('ab');
    // NUL characters, or a lone low surrogate: not text.
    expect((await sniffType(le('a\0b'), 'x.txt')).mime).toBeNull();
    expect((await sniffType(Buffer.from([0xff, 0xfe, 0x00, 0xdc, 0x41, 0x00]), 'x.txt')).mime).toBeNull();
  });
});
