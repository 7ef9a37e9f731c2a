import { describe, expect, it } from '@jest/globals';
import { formatDuration } from './video.mapper.js';

describe('formatDuration', () => {
  it.each([
    [undefined, '00:00'],
    [0, '00:00'],
    [2, '00:02'],
    [59.99, '00:59'],
    [120.5, '02:00'],
    [3599, '59:59'],
    [3600, '1:00:00'],
    [7322, '2:02:02'],
    [-5, '00:00'],
  ])('%p s is %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});
