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

/**
 * The type of an upload from its first bytes, never from the client's name or header. Binary
 * formats by their magic bytes (`file-type`); text by being UTF-8 (or UTF-16 with a byte order
 * mark): HTML by its start, Markdown by the `.md` name (the only hint text gives), anything else
 * plain text.
 */
export async function sniffType(head: Buffer, originalName: string): Promise<SniffResult> {
  const detected = head.length ? await fileTypeFromBuffer(head) : undefined;
  let mime: string | null = detected?.mime ?? null;
  const text = !mime && head.length ? headText(head) : null;
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
