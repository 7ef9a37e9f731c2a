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
 * start, Markdown by the `.md` name (the only hint text gives), anything else plain text.
 */
export async function sniffType(head: Buffer, originalName: string): Promise<SniffResult> {
  if (!head.length) return { mime: null, allowed: null };
  const detected = await fileTypeFromBuffer(head);
  let mime: string | null = detected?.mime ?? null;
  let text = headText(head);
  if (mime && text !== null && (SIGNED_TEXT_FORMATS.has(mime) || CONTROL.test(text))) text = null;
  if (text !== null) {
    if (HTML_START.test(text)) mime = 'text/html';
    else if (/\.(md|markdown)$/i.test(originalName)) mime = 'text/markdown';
    else mime = 'text/plain';
  }
  // file-type names WAV and M4A differently across versions; normalise to the allow-list's names.
  if (mime === 'audio/vnd.wave' || mime === 'audio/x-wav') mime = 'audio/wav';
  if (mime === 'audio/mp4') mime = 'audio/x-m4a';
  return { mime, allowed: mime ? (ALLOWED_UPLOAD_TYPES[mime] ?? null) : null };
}
