import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify, TextDecoder } from 'node:util';
import { utf16ByteOrder } from '@vgp/contracts';

const run = promisify(execFile);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Visible text of an HTML document: no scripts, styles, comments or tags; entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|\/p|\/div|\/h[1-6]|\/li|\/tr|\/section|\/article)\b[^>]*>/gi, '\n\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

/** The first `maxChars` characters of a UTF-8 or UTF-16 file (its byte order mark dropped), without reading the rest. */
async function readText(path: string, maxChars: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(maxChars * 4, 64 * 1024 * 1024));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    return new TextDecoder(utf16ByteOrder(head) ?? 'utf-8').decode(head).slice(0, maxChars);
  } finally {
    await fh.close();
  }
}

/** The text of a plain, Markdown, HTML or PDF document; null for other types. */
export async function extractText(path: string, mime: string, maxChars: number, timeoutMs: number): Promise<string | null> {
  switch (mime) {
    case 'text/plain':
    case 'text/markdown':
      return readText(path, maxChars);
    case 'text/html':
      return htmlToText(await readText(path, maxChars));
    case 'application/pdf': {
      const { stdout } = await run('pdftotext', ['-q', '-enc', 'UTF-8', path, '-'], { timeout: timeoutMs, maxBuffer: maxChars * 4 + 1024 });
      return stdout.slice(0, maxChars);
    }
    default:
      return null;
  }
}

/**
 * Passages of about `target` characters, cut at paragraph, then sentence, then word boundaries,
 * so a retrieved passage reads as a whole. NUL characters (U+0000: binary bytes in a document,
 * which PostgreSQL cannot store in text and which would fail the whole file) count as spaces.
 */
export function chunkText(text: string, target = 800): string[] {
  const paragraphs = text
    .replace(/\0+/g, ' ')
    .replace(/\r\n?/g, '\n')
    .replace(/\f/g, '\n\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  const pieces: string[] = [];
  for (const p of paragraphs) {
    if (p.length <= target) {
      pieces.push(p);
      continue;
    }
    let cur = '';
    for (const sentence of p.split(/(?<=[.!?])\s+/)) {
      for (const word of sentence.length > target ? sentence.split(' ') : [sentence]) {
        if (cur && cur.length + word.length + 1 > target) {
          pieces.push(cur);
          cur = '';
        }
        cur = cur ? `${cur} ${word}` : word.slice(0, target);
      }
    }
    if (cur) pieces.push(cur);
  }
  const chunks: string[] = [];
  let cur = '';
  for (const piece of pieces) {
    if (cur && cur.length + piece.length + 2 > target) {
      chunks.push(cur);
      cur = '';
    }
    cur = cur ? `${cur}\n\n${piece}` : piece;
  }
  if (cur) chunks.push(cur);
  return chunks;
}
