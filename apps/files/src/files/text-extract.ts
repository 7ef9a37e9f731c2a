import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { cutText, utf16ByteOrder } from '@vgp/contracts';
import { entities as mathjaxEntities } from 'mathjax-full/js/util/Entities.js';
// MathJax loads the letters of its table on demand; this loads them all, here, at once.
import 'mathjax-full/js/util/entities/all.js';

/**
 * The HTML5 named character references (all 2,125 names, `&eacute;` to `&zwnj;`, each to its one
 * or two characters): MathJax's table, which is exactly WHATWG's (`mathjax-full` is already a
 * dependency, for the render worker's formulas). Copied into a Map, so no later change of
 * MathJax's object and no inherited name (`constructor`) is read. `&nbsp;` stays a plain space,
 * as it always was here.
 */
const NAMED_ENTITIES: ReadonlyMap<string, string> = new Map([...Object.entries(mathjaxEntities), ['nbsp', ' ']]);

/**
 * The names HTML5 also decodes without their `;` in text (a frozen list from HTML 4: `&copy 2024`,
 * `caf&eacute`), the longest that starts the name winning (`&notit` is `¬it`).
 */
const LEGACY_ENTITIES = new Set(
  (
    'AElig AMP Aacute Acirc Agrave Aring Atilde Auml COPY Ccedil ETH Eacute Ecirc Egrave Euml GT Iacute Icirc Igrave Iuml LT Ntilde Oacute ' +
    'Ocirc Ograve Oslash Otilde Ouml QUOT REG THORN Uacute Ucirc Ugrave Uuml Yacute aacute acirc acute aelig agrave amp aring atilde auml ' +
    'brvbar ccedil cedil cent copy curren deg divide eacute ecirc egrave eth euml frac12 frac14 frac34 gt iacute icirc iexcl igrave iquest ' +
    'iuml laquo lt macr micro middot nbsp not ntilde oacute ocirc ograve ordf ordm oslash otilde ouml para plusmn pound quot raquo reg sect ' +
    'shy sup1 sup2 sup3 szlig thorn times uacute ucirc ugrave uml uuml yacute yen yuml'
  ).split(' '),
);

/** A named reference's text, or null: `name` with its `;`, else the longest legacy name it starts with. */
function namedEntity(name: string, semicolon: boolean): string | null {
  if (semicolon) {
    const text = NAMED_ENTITIES.get(name);
    if (text !== undefined) return text;
  }
  for (let n = Math.min(name.length, 6); n >= 2; n--) {
    const text = LEGACY_ENTITIES.has(name.slice(0, n)) ? NAMED_ENTITIES.get(name.slice(0, n)) : undefined;
    if (text !== undefined) return text + name.slice(n) + (semicolon ? ';' : '');
  }
  return null;
}

/** Raw-text elements whose content is never visible text. */
const RAW_TEXT_OPEN = /<(script|style|noscript|template)\b/gi;
/** Tags that end a block of text (a paragraph break in the extracted text). */
const BLOCK_TAG_OPEN = /<(br|\/p|\/div|\/h[1-6]|\/li|\/tr|\/section|\/article)\b/gi;

/** `<!-- ... -->` → a space; an unterminated comment stays (its `<` is then read as a tag's). */
function dropComments(s: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const start = s.indexOf('<!--', from);
    if (start < 0) break;
    const end = s.indexOf('-->', start + 4);
    // No `-->` after this one means none after any later one either: done, in one pass.
    if (end < 0) break;
    out += `${s.slice(from, start)} `;
    from = end + 3;
  }
  return out + s.slice(from);
}

/** `<script ...> ... </script>` (and style, noscript, template) → a space. */
function dropRawText(s: string): string {
  const open = new RegExp(RAW_TEXT_OPEN.source, 'gi');
  // Element names that have no closing tag after some point: a later opening has none either.
  const unclosed = new Set<string>();
  let out = '';
  let from = 0;
  for (let m = open.exec(s); m; m = open.exec(s)) {
    const name = m[1].toLowerCase();
    if (unclosed.has(name)) continue;
    const close = new RegExp(`<\\/${name}\\s*>`, 'gi');
    close.lastIndex = open.lastIndex;
    if (!close.exec(s)) {
      unclosed.add(name);
      continue;
    }
    out += `${s.slice(from, m.index)} `;
    from = close.lastIndex;
    open.lastIndex = from;
  }
  return out + s.slice(from);
}

/** Block-ending tags → a paragraph break, then every other `<...>` → a space. A `<` with no `>` after it is text. */
function replaceTags(s: string): string {
  const block = new RegExp(BLOCK_TAG_OPEN.source, 'gi');
  let out = '';
  let from = 0;
  for (let m = block.exec(s); m; m = block.exec(s)) {
    const end = s.indexOf('>', block.lastIndex);
    // No `>` after this tag means none after any later one either.
    if (end < 0) break;
    out += `${s.slice(from, m.index)}\n\n`;
    from = end + 1;
    block.lastIndex = from;
  }
  s = out + s.slice(from);
  out = '';
  from = 0;
  for (;;) {
    const start = s.indexOf('<', from);
    if (start < 0) break;
    const end = s.indexOf('>', start + 1);
    if (end < 0) break;
    out += `${s.slice(from, start)} `;
    from = end + 1;
  }
  return out + s.slice(from);
}

/**
 * Visible text of an HTML document: no scripts, styles, comments or tags; character references
 * decoded (`&#233;`, `&#xE9;`, and every HTML5 name: `&eacute;`, `&rsquo;`, `&ndash;`; names are
 * case-sensitive, and the HTML 4 ones also without their `;`, as browsers read them).
 * Every step is one forward scan (indexOf and patterns that cannot backtrack across the
 * document), so the time is linear in the length whatever the markup: a document of `<`
 * characters with no `>` used to take quadratic time, blocking the event loop for an hour.
 */
export function htmlToText(html: string): string {
  return replaceTags(dropRawText(dropComments(html))).replace(/&(?:(#x[0-9a-f]+|#\d+);|([a-z][a-z0-9]*)(;?))/gi, (m, num?: string, name = '', semi = '') => {
    if (num) {
      const code = num[1].toLowerCase() === 'x' ? parseInt(num.slice(2), 16) : parseInt(num.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
    }
    return namedEntity(name, semi === ';') ?? m;
  });
}

/** The first `maxChars` characters of a UTF-8 or UTF-16 file (its byte order mark dropped), without reading the rest. */
async function readText(path: string, maxChars: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(maxChars * 4, 64 * 1024 * 1024));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    return cutText(new TextDecoder(utf16ByteOrder(head) ?? 'utf-8').decode(head), maxChars);
  } finally {
    await fh.close();
  }
}

/**
 * The first `maxChars` characters of a PDF's text: `pdftotext`'s output is read as it comes and
 * the tool is stopped once there is enough, so a long PDF is indexed truncated like any other
 * document (a bounded buffer used to kill the tool and fail the whole file instead).
 */
function pdfText(path: string, maxChars: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pdftotext', ['-q', '-enc', 'UTF-8', path, '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const decoder = new TextDecoder('utf-8');
    let text = '';
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.stdout.destroy();
        child.kill('SIGKILL');
      }
      if (err) reject(err);
      else resolve(cutText(text, maxChars));
    };
    const timer = setTimeout(() => finish(new Error(`pdftotext took more than ${timeoutMs} ms`)), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      if (settled) return;
      text += decoder.decode(b, { stream: true });
      if (text.length > maxChars) finish();
    });
    child.on('error', (err) => finish(err));
    child.on('close', (code, signal) => {
      if (settled) return;
      text += decoder.decode();
      if (code === 0) finish();
      else finish(new Error(`pdftotext exited with ${code ?? signal}`));
    });
  });
}

/** The text of a plain, Markdown, HTML or PDF document; null for other types. */
export async function extractText(path: string, mime: string, maxChars: number, timeoutMs: number): Promise<string | null> {
  switch (mime) {
    case 'text/plain':
    case 'text/markdown':
      return readText(path, maxChars);
    case 'text/html':
      return htmlToText(await readText(path, maxChars));
    case 'application/pdf':
      return pdfText(path, maxChars, timeoutMs);
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
      for (let word of sentence.length > target ? sentence.split(' ') : [sentence]) {
        if (cur && cur.length + word.length + 1 > target) {
          pieces.push(cur);
          cur = '';
        }
        // A run longer than a passage (text without spaces: Chinese, Japanese; a long URL) is
        // cut into passage-sized pieces, all of it kept; the last piece goes on as usual.
        while (word.length > target) {
          const piece = cutText(word, target) || word.slice(0, 2);
          pieces.push(piece);
          word = word.slice(piece.length);
        }
        cur = cur ? `${cur} ${word}` : word;
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
