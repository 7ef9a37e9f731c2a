import { describe, expect, it } from '@jest/globals';
import { toSrt, toVtt, wrapCue } from './subtitles.js';

const cues = [
  { scene: 0, text: 'Welcome to the video.', start: 0.3, end: 2.0456 },
  { scene: 1, text: 'A <b> & c --> d', start: 3661.5, end: 3662.0004 },
];

describe('subtitles', () => {
  it('writes SRT with comma milliseconds and numbered cues', () => {
    expect(toSrt(cues)).toBe('1\n00:00:00,300 --> 00:00:02,046\nWelcome to the video.\n\n2\n01:01:01,500 --> 01:01:02,000\nA <b> & c → d\n');
  });

  it('writes WebVTT with a header, dot milliseconds and escaped markup', () => {
    expect(toVtt(cues)).toBe('WEBVTT\n\n1\n00:00:00.300 --> 00:00:02.046\nWelcome to the video.\n\n2\n01:01:01.500 --> 01:01:02.000\nA &lt;b&gt; &amp; c → d\n');
  });

  it('wraps long cues at word boundaries', () => {
    expect(wrapCue('The square of the hypotenuse equals the sum of the squares of the other two sides.')).toBe(
      'The square of the hypotenuse equals the\nsum of the squares of the other two sides.',
    );
  });
});
