/** The encodings a text upload can have: the sniffer takes UTF-8, and UTF-16 with its byte order mark. */
const TEXT_CHARSETS = new Set(['utf-8', 'utf-16le', 'utf-16be']);

/**
 * The `Content-Type` a stored file is served with: its media type, and for text (`text/plain`,
 * `text/markdown`, `text/html`) the charset it was recorded in at upload (`metadata.encoding`), as
 * subtitles say theirs: without it a browser or editor may read UTF-8 as Latin-1 ("a² + b²" as
 * "aÂ² + bÂ²"). UTF-8 when none was recorded, since a text upload without a UTF-16 byte order mark
 * is UTF-8 (and a byte order mark outweighs the header where there is one).
 */
export function servedContentType(mime: string, encoding?: unknown): string {
  if (!mime.startsWith('text/') || mime.includes(';')) return mime;
  const label = typeof encoding === 'string' ? encoding.toLowerCase() : '';
  return `${mime}; charset=${TEXT_CHARSETS.has(label) ? label : 'utf-8'}`;
}
