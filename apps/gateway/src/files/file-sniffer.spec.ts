import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
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

  it('takes clean text whose first bytes look like a short magic number for text', async () => {
    const plain = { mime: 'text/plain', allowed: { file_type: 'document', ext: 'txt' } };
    // A `G` at bytes 0 and 188 (MPEG-TS), or at 4 and 196 (BDAV MPEG-TS).
    const ts = Buffer.from(`G${'a'.repeat(187)}Good morning team.\n`);
    const bdav = Buffer.from(`Hi, Good ${'morning team. '.repeat(13)}xxxxxGoodbye\r\n\f`);
    const le = (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
    const heads: [Buffer, string][] = [
      [Buffer.from('BMW service report\n'), 'image/bmp'],
      [Buffer.from('BMW Straße und Kühler\n'), 'image/bmp'],
      [Buffer.from('MZ Logistics, invoice 42\n'), 'application/x-msdownload'],
      [Buffer.from('%!important: read me first\n'), 'application/postscript'],
      [Buffer.from('GIF animations we liked\n'), 'image/gif'],
      [Buffer.from('ID3 tags explained\n'), 'audio/mpeg'],
      [Buffer.from('fLaC is a codec'), 'audio/flac'],
      [Buffer.from('solid state drives\n'), 'model/stl'],
      [ts, 'video/mp2t'],
      [bdav, 'video/mp2t'],
      [le('<?xml version="1.0"?>\r\n<note>BMW</note>'), 'application/xml'],
    ];
    for (const [head, magic] of heads) {
      // What file-type alone says of this head...
      expect((await fileTypeFromBuffer(head))?.mime).toBe(magic);
      // ...loses to the text.
      expect(await sniffType(head, 'notes.txt')).toEqual(plain);
    }
    expect((await sniffType(Buffer.from('MZ notes\n# title'), 'notes.md')).mime).toBe('text/markdown');
    // A control character other than tab, newline, CR or form feed: the detection stands.
    expect((await sniffType(Buffer.from('BM\x01 not prose'), 'x.txt')).mime).toBe('image/bmp');
    expect((await sniffType(Buffer.from('MZ\x1b[31m'), 'x.txt')).mime).toBe('application/x-msdownload');
    // Text still without a detection keeps being text, control characters or not (as before).
    expect((await sniffType(Buffer.from('\x1b[32mok\x1b[0m\n'), 'build.log')).mime).toBe('text/plain');
  });

  it('keeps detecting real binaries whose magic is short and printable', async () => {
    const bmp = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x24', '-frames:v', '1'], 'x.bmp');
    expect(bmp.subarray(0, 2).toString('latin1')).toBe('BM');
    expect(await sniffType(bmp, 'photo.txt')).toEqual({ mime: 'image/bmp', allowed: null });
    // A large BMP too: its size and offsets are not zero bytes in its first fields.
    const bigBmp = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=1920x1080', '-frames:v', '1'], 'x.bmp');
    expect((await sniffType(bigBmp.subarray(0, 65536), 'photo.txt')).mime).toBe('image/bmp');
    const ts = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x24:rate=5', '-t', '1', '-f', 'mpegts'], 'x.ts');
    expect([ts[0], ts[188]]).toEqual([0x47, 0x47]);
    expect(await sniffType(ts.subarray(0, 65536), 'clip.txt')).toEqual({ mime: 'video/mp2t', allowed: null });
    const gif = ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x24', '-frames:v', '1'], 'x.gif');
    expect((await sniffType(gif, 'x.txt')).mime).toBe('image/gif');
    const mp3 = ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.2', '-c:a', 'libmp3lame'], 'x.mp3');
    expect(mp3.subarray(0, 3).toString('latin1')).toBe('ID3');
    expect((await sniffType(mp3, 'x.txt')).mime).toBe('audio/mpeg');
    const flac = ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.2'], 'x.flac');
    expect((await sniffType(flac, 'x.txt')).mime).toBe('audio/flac');
    // A Windows PE executable's head: the DOS header (e_lfanew at 0x3c), then "PE\0\0" and an i386 COFF header.
    const pe = Buffer.alloc(512);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt16LE(0x90, 2);
    pe.writeUInt16LE(3, 4);
    pe.writeUInt32LE(0x80, 0x3c);
    pe.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
    pe.write('PE\0\0', 0x80, 'latin1');
    pe.writeUInt16LE(0x14c, 0x84);
    expect(await sniffType(pe, 'readme.txt')).toEqual({ mime: 'application/x-msdownload', allowed: null });
    // An all-ASCII PDF is still a PDF: its signature is specific, not a word prose starts with.
    expect((await sniffType(Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), 'doc.txt')).mime).toBe('application/pdf');
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
