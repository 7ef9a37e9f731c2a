import { describe, expect, it } from '@jest/globals';
import { ALLOWED_UPLOAD_TYPES } from '@vgp/contracts';
import { makePdf } from '@vgp/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { fileTypeFromBuffer } from 'file-type';
import { afterProlog, canonicalType, headText, SNIFF_BYTES, sniffType } from './file-sniffer.js';

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

/** A zip archive of stored (uncompressed) entries, as a DOCX is one. */
function zip(entries: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const n = Buffer.from(name);
    const data = Buffer.from(text);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc32(data), 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(n.length, 28);
    entry.writeUInt32LE(offset, 42);
    parts.push(local, n, data);
    central.push(entry, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}

/** A ustar archive holding one file (header checksum computed). */
function tar(name: string, text: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${Buffer.byteLength(text).toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('0', 156);
  header.write('ustar\x0000', 257);
  header.fill(' ', 148, 156);
  header.write(`${header.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(text) / 512) * 512);
  body.write(text);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
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

  it('names every allow-listed type as the allow-list does, from real files through the real file-type', async () => {
    const v = ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=0.5'];
    const a = ['-f', 'lavfi', '-i', 'sine=duration=0.5'];
    const av = [...v, ...a, '-shortest'];
    const docx = zip({
      '[Content_Types].xml':
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      '_rels/.rels': '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
      'word/document.xml': '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
    });
    // [the allow-list's name, a real file, its name, what file-type alone says when that differs]
    const samples: [string, Buffer, string, string?][] = [
      ['image/jpeg', ffmpeg([...v, '-frames:v', '1'], 'x.jpg'), 'x.jpg'],
      ['image/png', ffmpeg([...v, '-frames:v', '1'], 'x.png'), 'x.png'],
      ['image/gif', ffmpeg([...v, '-frames:v', '1'], 'x.gif'), 'x.gif'],
      ['image/webp', ffmpeg([...v, '-frames:v', '1'], 'x.webp'), 'x.webp'],
      ['video/mp4', ffmpeg([...av, '-c:v', 'libx264', '-c:a', 'aac'], 'x.mp4'), 'x.mp4'],
      ['video/mp4', ffmpeg([...v, '-c:v', 'libx264', '-f', 'ipod'], 'x.m4v'), 'x.m4v', 'video/x-m4v'],
      ['video/webm', ffmpeg([...av, '-c:v', 'libvpx', '-c:a', 'libopus'], 'x.webm'), 'x.webm'],
      ['video/quicktime', ffmpeg([...av, '-c:v', 'libx264', '-c:a', 'aac'], 'x.mov'), 'x.mov'],
      ['video/x-msvideo', ffmpeg(av, 'x.avi'), 'x.avi', 'video/vnd.avi'],
      ['video/x-matroska', ffmpeg(av, 'x.mkv'), 'x.mkv', 'video/matroska'],
      ['video/x-flv', ffmpeg(av, 'x.flv'), 'x.flv'],
      ['audio/mpeg', ffmpeg([...a, '-c:a', 'libmp3lame'], 'x.mp3'), 'x.mp3'],
      ['audio/wav', ffmpeg(a, 'x.wav'), 'x.wav'],
      ['audio/ogg', ffmpeg([...a, '-c:a', 'libvorbis'], 'x.ogg'), 'vorbis.ogg'],
      ['audio/ogg', ffmpeg([...a, '-c:a', 'libopus'], 'x.ogg'), 'opus.ogg', 'audio/ogg; codecs=opus'],
      ['audio/ogg', ffmpeg([...a, '-c:a', 'libopus'], 'x.opus'), 'x.opus', 'audio/ogg; codecs=opus'],
      ['audio/ogg', ffmpeg([...a, '-c:a', 'flac'], 'x.oga'), 'flac.oga'],
      ['audio/ogg', ffmpeg([...a, '-c:a', 'libspeex', '-ar', '16000'], 'x.spx'), 'x.spx'],
      ['audio/flac', ffmpeg(a, 'x.flac'), 'x.flac'],
      ['audio/x-m4a', ffmpeg([...a, '-c:a', 'aac'], 'x.m4a'), 'x.m4a'],
      ['audio/x-m4a', ffmpeg([...a, '-c:a', 'aac', '-f', 'mp4', '-brand', 'M4B '], 'x.m4b'), 'x.m4b', 'audio/mp4'],
      ['audio/aac', ffmpeg([...a, '-c:a', 'aac', '-f', 'adts'], 'x.aac'), 'x.aac'],
      ['application/pdf', makePdf(['Right triangles']), 'x.pdf'],
      ['text/plain', Buffer.from('a² + b² = c²\n'), 'x.txt'],
      ['text/markdown', Buffer.from('# Triangles\n'), 'x.md'],
      ['text/html', Buffer.from('<!DOCTYPE html><html><body>Hi</body></html>'), 'x.html'],
      ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', docx, 'x.docx'],
      ['application/zip', zip({ 'notes.txt': 'Right triangles' }), 'x.zip'],
      ['application/gzip', gzipSync('Right triangles'), 'x.txt.gz'],
      ['application/gzip', gzipSync(tar('notes.txt', 'Right triangles')), 'x.tar.gz'],
      ['application/x-tar', tar('notes.txt', 'Right triangles'), 'x.tar'],
      ['application/x-7z-compressed', Buffer.concat([Buffer.from('377abcaf271c0004', 'hex'), Buffer.alloc(24)]), 'x.7z'],
    ];
    for (const [type, bytes, name, raw] of samples) {
      const head = bytes.subarray(0, SNIFF_BYTES);
      if (raw) expect({ name, raw: (await fileTypeFromBuffer(head))?.mime }).toEqual({ name, raw });
      expect({ name, ...(await sniffType(head, name)) }).toEqual({ name, mime: type, allowed: ALLOWED_UPLOAD_TYPES[type] });
    }
    // Every entry of the allow-list is covered.
    expect([...new Set(samples.map(([type]) => type))].sort()).toEqual(Object.keys(ALLOWED_UPLOAD_TYPES).sort());
    // An Ogg video is not on the allow-list (OGG is audio there).
    expect(await sniffType(ffmpeg([...v, '-c:v', 'libtheora'], 'x.ogv'), 'x.ogv')).toEqual({ mime: 'video/ogg', allowed: null });
  });

  it('canonicalType drops parameters and renames file-type names to the allow-list names', () => {
    expect(canonicalType('audio/ogg; codecs=opus')).toBe('audio/ogg');
    expect(canonicalType('Video/Matroska')).toBe('video/x-matroska');
    expect(canonicalType('video/vnd.avi')).toBe('video/x-msvideo');
    expect(canonicalType('audio/vnd.wave')).toBe('audio/wav');
    expect(canonicalType('image/png')).toBe('image/png');
    expect(canonicalType('application/x-elf')).toBe('application/x-elf');
  });

  it('takes HTML after a byte order mark, whitespace, comments and an XML declaration; prose about tags stays plain', async () => {
    const mime = async (text: string | Buffer, name = 'page.txt') => (await sniffType(typeof text === 'string' ? Buffer.from(text) : text, name)).mime;
    // A page saved by a browser, and XHTML.
    expect(await mime('<!-- saved from url=(0014)about:internet -->\n<!DOCTYPE html><html><head><script>var secret=1;</script></head><body><p>Hello</p></body></html>')).toBe('text/html');
    expect(
      await mime('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Hi</p></body></html>'),
    ).toBe('text/html');
    expect(await mime('\uFEFF \r\n<?xml version="1.0"?><?xml-stylesheet href="a.css"?>\n<!-- one --><!----> <!-- two -- -->\n<html><body>Hi</body></html>')).toBe('text/html');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!-- saved -->\r\n<html><body>Hi</body></html>', 'utf16le')]);
    expect(await mime(le)).toBe('text/html');
    // Text that starts with a comment or a declaration but no HTML after it, or mentions tags later.
    expect(await mime('Use <html> and <body> tags to start a page.')).toBe('text/plain');
    expect(await mime('<!-- a note -->\nHello <b>world</b>')).toBe('text/plain');
    expect(await mime('<!-- a comment that never ends <html><body>')).toBe('text/plain');
    expect(await mime('<?xml version="1.0"?>\n<note><html>not XHTML</html></note>')).toBe('text/plain');
    expect(await mime('<?php echo 1; ?>\n<html><body>a template</body></html>')).toBe('text/plain');
    expect(await mime('<!-- notes -->\n# Title', 'notes.md')).toBe('text/markdown');
  });

  it('afterProlog skips what may come before the first tag, in one scan', () => {
    expect(afterProlog('  <!-- a --> <?xml version="1.0"?>\n<html>')).toBe('<html>');
    expect(afterProlog('<!--x')).toBe('');
    expect(afterProlog('<?xml version="1.0"')).toBe('');
    expect(afterProlog('<?xmlfoo?><html>')).toBe('<?xmlfoo?><html>');
    expect(afterProlog('text')).toBe('text');
    const started = performance.now();
    expect(afterProlog(`${'<!-- -->'.repeat(8000)}x`)).toBe('x');
    expect(afterProlog('<!--'.repeat(16_000))).toBe('');
    expect(afterProlog(`${'<?xml ?>'.repeat(8000)}<`)).toBe('<');
    expect(performance.now() - started).toBeLessThan(200);
  });
});
