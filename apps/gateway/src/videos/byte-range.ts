import type { ByteRange } from '@vgp/storage';

export type RangeResult = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * Reads a `Range` header against a body of `size` bytes. One `bytes=` range is served as 206;
 * several ranges are served whole (200), as RFC 9110 allows; another unit is ignored. A range
 * that cannot be parsed or lies past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(header);
  if (!m) return { kind: 'unsatisfiable' };
  if (m[1].toLowerCase() !== 'bytes') return { kind: 'full' };
  const specs = m[2].split(',').map((s) => s.trim());
  if (specs.length > 1) return specs.every((s) => /^(\d+-\d*|-\d+)$/.test(s)) ? { kind: 'full' } : { kind: 'unsatisfiable' };
  const spec = specs[0];
  // Any number of digits (RFC 9110): a position beyond 2^53 still reads as larger than any body here.
  const suffix = /^-(\d+)$/.exec(spec);
  if (suffix) {
    const n = Number(suffix[1]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const span = /^(\d+)-(\d*)$/.exec(spec);
  if (!span) return { kind: 'unsatisfiable' };
  const start = Number(span[1]);
  const end = span[2] === '' ? size - 1 : Math.min(Number(span[2]), size - 1);
  if (start >= size || (span[2] !== '' && Number(span[2]) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

/** Whether a conditional GET may be answered 304 (If-None-Match wins over If-Modified-Since). */
export function notModified(headers: { 'if-none-match'?: string; 'if-modified-since'?: string }, etag: string, lastModified: Date): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    const weak = (t: string) => t.trim().replace(/^W\//, '');
    return inm.trim() === '*' || inm.split(',').some((t) => weak(t) === weak(etag));
  }
  const ims = headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  // HTTP dates have whole seconds.
  return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/** `If-Range`: the range applies only while the representation is the one the client has. */
export function ifRangeHolds(ifRange: string | undefined, etag: string, lastModified: Date): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const at = Date.parse(v);
  return Number.isFinite(at) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(at / 1000);
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(type: 'attachment' | 'inline', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
