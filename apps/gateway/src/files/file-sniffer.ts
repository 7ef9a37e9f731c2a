import { ALLOWED_UPLOAD_TYPES, type AllowedType, utf16ByteOrder } from '@vgp/contracts';
import { fileTypeFromBuffer } from 'file-type';
import { TextDecoder } from 'node:util';

/** How many leading bytes the sniffer looks at (ID3 tags and zip directories need more than 4 KiB). */
export const SNIFF_BYTES = 64 * 1024;

export interface SniffResult {
  /** The media type read from the content (magic bytes), or null when nothing was recognised. */
  mime: string | null;
  /** Its entry of the allow-list; null when the type is not allowed. */
  allowed: AllowedType | null;
}

const HTML_START = /^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i;

/**
 * A document's text after what may come before its first tag: byte order marks, whitespace,
 * comments (`<!-- saved from url=(0014)about:internet -->`, as browsers save pages) and XML
 * declarations or style sheet instructions (`<?xml version="1.0"?>`, as XHTML starts). A comment
 * or declaration that does not end within the text leaves nothing. One forward scan.
 */
export function afterProlog(text: string): string {
  let i = 0;
  for (;;) {
    // `\s` takes U+FEFF, the byte order mark, too.
    while (i < text.length && /\s/.test(text[i])) i++;
    let close: string;
    if (text.startsWith('<!--', i)) close = '-->';
    else if (/^<\?xml[\s?-]/i.test(text.slice(i, i + 6))) close = '?>';
    else return text.slice(i);
    const end = text.indexOf(close, i + 4);
    // No end: the whole rest is prolog.
    if (end < 0) return '';
    i = end + close.length;
  }
}

/**
 * The text of a document's head, or null when it is not text: UTF-8 without NUL bytes (the head
 * may end inside a character), or UTF-16 with its byte order mark (as Windows' editors save
 * "Unicode" text) without NUL characters.
 */
export function headText(head: Buffer): string | null {
  const utf16 = utf16ByteOrder(head);
  if (!utf16 && head.includes(0)) return null;
  try {
    const text = new TextDecoder(utf16 ?? 'utf-8', { fatal: true }).decode(head, { stream: true });
    return utf16 && text.includes('\0') ? null : text;
  } catch {
    return null;
  }
}

/** C0 and C1 control characters and DEL, but tab, line feed, form feed and carriage return. */
const CONTROL = /[^\P{Cc}\t\n\f\r]/u;

/**
 * Formats `file-type` recognises by a signature long and specific enough to win even when the
 * whole head is clean text (a PDF may be all ASCII). Any other detection loses to clean text: its
 * magic is a few printable bytes that prose starts with ("BMW…" as BMP, "MZ…" as an executable,
 * "GIF…", "ID3…", "%!…", a `G` at bytes 0 and 188 as MPEG-TS), while real files of those formats
 * carry bytes that are not text (NULs, other control bytes, invalid UTF-8) in their first bytes.
 */
const SIGNED_TEXT_FORMATS = new Set(['application/pdf']);

/**
 * The type of an upload from its first bytes, never from the client's name or header. Binary
 * formats by their magic bytes (`file-type`), unless the head is clean text (see
 * `SIGNED_TEXT_FORMATS`); text by being UTF-8 (or UTF-16 with a byte order mark): HTML by its
 * start (after any comments and XML declaration, `afterProlog`), Markdown by the `.md` name (the
 * only hint text gives), anything else plain text. The media type is the allow-list's name
 * (`canonicalType`).
 */
export async function sniffType(head: Buffer, originalName: string): Promise<SniffResult> {
  if (!head.length) return { mime: null, allowed: null };
  const detected = await fileTypeFromBuffer(head);
  let mime: string | null = detected?.mime ?? null;
  let text = headText(head);
  if (mime && text !== null && (SIGNED_TEXT_FORMATS.has(mime) || CONTROL.test(text))) text = null;
  if (text !== null) {
    if (HTML_START.test(afterProlog(text))) mime = 'text/html';
    else if (/\.(md|markdown)$/i.test(originalName)) mime = 'text/markdown';
    else mime = 'text/plain';
  }
  if (mime) mime = canonicalType(mime);
  return { mime, allowed: mime ? (ALLOWED_UPLOAD_TYPES[mime] ?? null) : null };
}

/**
 * `file-type`'s names for allow-listed formats that the allow-list (and so every stored
 * `mime_type`) names otherwise: the registered names of newer `file-type` versions (Matroska,
 * AVI, WAV), older versions' names, and MP4 brands it names apart (an `M4V ` MP4 is an MP4, an
 * `M4B `/`F4A ` one an M4A).
 */
const CANONICAL_TYPES: ReadonlyMap<string, string> = new Map([
  ['video/matroska', 'video/x-matroska'],
  ['video/vnd.avi', 'video/x-msvideo'],
  ['video/avi', 'video/x-msvideo'],
  ['video/msvideo', 'video/x-msvideo'],
  ['video/x-m4v', 'video/mp4'],
  ['audio/vnd.wave', 'audio/wav'],
  ['audio/x-wav', 'audio/wav'],
  ['audio/wave', 'audio/wav'],
  ['audio/mp4', 'audio/x-m4a'],
  ['audio/x-flac', 'audio/flac'],
]);

/**
 * The allow-list's name for a detected media type: its parameters dropped (`file-type` says
 * `audio/ogg; codecs=opus` for Ogg Opus), lower-cased, then renamed by CANONICAL_TYPES.
 */
export function canonicalType(mime: string): string {
  const bare = mime.split(';', 1)[0].trim().toLowerCase();
  return CANONICAL_TYPES.get(bare) ?? bare;
}
