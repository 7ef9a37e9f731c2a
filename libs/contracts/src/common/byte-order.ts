/**
 * The encoding a text's UTF-16 byte order mark names (FF FE little-endian, FE FF big-endian), or
 * null without one. Text is taken as UTF-8 otherwise: JSON bodies, uploaded documents and their
 * extraction all read the mark the same way.
 */
export function utf16ByteOrder(head: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (head.length < 2) return null;
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}
