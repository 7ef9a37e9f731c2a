import { describe, expect, it } from '@jest/globals';
import { contentDisposition, ifRangeHolds, notModified, parseRange } from './byte-range.js';

describe('parseRange', () => {
  it.each([
    [undefined, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', range: { start: 0, end: 99 } }],
    ['bytes=100-', { kind: 'partial', range: { start: 100, end: 999 } }],
    ['bytes=-100', { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-5000', { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=990-5000', { kind: 'partial', range: { start: 990, end: 999 } }],
    ['bytes=999-999', { kind: 'partial', range: { start: 999, end: 999 } }],
    [' bytes = 5-6', { kind: 'partial', range: { start: 5, end: 6 } }],
    ['bytes=0-1,5-6', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    // Positions of any length (RFC 9110): beyond the end reads as the end.
    ['bytes=0-18446744073709551615', { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=-99999999999999999', { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=00000000000000000010-00000000000000000019', { kind: 'partial', range: { start: 10, end: 19 } }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=5000-6000', { kind: 'unsatisfiable' }],
    ['bytes=50-10', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=abc', { kind: 'unsatisfiable' }],
    ['bytes=', { kind: 'unsatisfiable' }],
    ['bytes=1-2,x', { kind: 'unsatisfiable' }],
    ['nonsense', { kind: 'unsatisfiable' }],
  ])('%j of 1000 bytes', (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });

  it('finds nothing satisfiable in an empty body', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('conditional requests', () => {
  const etag = '"abc"';
  const at = new Date('2026-01-01T10:00:00.750Z');

  it('matches If-None-Match, weak or in a list, and * ', () => {
    expect(notModified({ 'if-none-match': '"abc"' }, etag, at)).toBe(true);
    expect(notModified({ 'if-none-match': 'W/"abc"' }, etag, at)).toBe(true);
    expect(notModified({ 'if-none-match': '"x", "abc"' }, etag, at)).toBe(true);
    expect(notModified({ 'if-none-match': '*' }, etag, at)).toBe(true);
    expect(notModified({ 'if-none-match': '"x"' }, etag, at)).toBe(false);
    // If-None-Match decides alone when present.
    expect(notModified({ 'if-none-match': '"x"', 'if-modified-since': at.toUTCString() }, etag, at)).toBe(false);
  });

  it('compares If-Modified-Since at whole seconds', () => {
    expect(notModified({ 'if-modified-since': at.toUTCString() }, etag, at)).toBe(true);
    expect(notModified({ 'if-modified-since': new Date(at.getTime() - 1000).toUTCString() }, etag, at)).toBe(false);
    expect(notModified({ 'if-modified-since': 'not a date' }, etag, at)).toBe(false);
    expect(notModified({}, etag, at)).toBe(false);
  });

  it('applies If-Range only to the same representation', () => {
    expect(ifRangeHolds(undefined, etag, at)).toBe(true);
    expect(ifRangeHolds('"abc"', etag, at)).toBe(true);
    expect(ifRangeHolds('"old"', etag, at)).toBe(false);
    expect(ifRangeHolds(at.toUTCString(), etag, at)).toBe(true);
    expect(ifRangeHolds(new Date(at.getTime() - 5000).toUTCString(), etag, at)).toBe(false);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('attachment', 'video.mp4')).toBe(`attachment; filename="video.mp4"; filename*=UTF-8''video.mp4`);
    expect(contentDisposition('inline', 'Übung "1".pdf')).toBe(`inline; filename="_bung _1_.pdf"; filename*=UTF-8''%C3%9Cbung%20%221%22.pdf`);
  });
});
