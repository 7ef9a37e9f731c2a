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

  it('wraps Chinese and Japanese text, which has no spaces, between characters', () => {
    const zh = '植物利用阳光、水和二氧化碳制造葡萄糖和氧气。光合作用的基本原理是光能转化为化学能。';
    const lines = wrapCue(zh).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    // A CJK character takes two columns: 21 to a line of 42.
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(21);
    expect(lines.join('')).toBe(zh);
    // Closing punctuation never starts a line.
    for (const l of lines) expect(l).not.toMatch(/^[、。，！？]/);
    expect(wrapCue('光合作用の基本原理です。ひらがなとカタカナ、漢字が混ざった文章を折り返します。').split('\n').length).toBe(2);
    // Mixed with Latin words, and astral characters kept whole.
    const mixed = wrapCue(`Welcome! In this video we explore 光合作用的基本原理 ${'𠀀'.repeat(30)}`);
    expect(mixed.replace(/\n/g, '')).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    for (const l of mixed.split('\n')) expect([...l].reduce((n, c) => n + (c.charCodeAt(0) > 0x2e80 ? 2 : 1), 0)).toBeLessThanOrEqual(42);
  });
});
