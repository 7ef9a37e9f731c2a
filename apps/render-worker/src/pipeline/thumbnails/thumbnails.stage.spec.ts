import { describe, expect, it } from '@jest/globals';
import { stillAt, thumbnailMoments } from './thumbnails.stage.js';

const scene = (heading: string, extra: object = {}) => ({ heading, narration: ['x'], bullets: [], ...extra });

describe('thumbnail moments', () => {
  it('picks the opening, the formula and diagram scenes, each once fully revealed', () => {
    const script = { title: 't', description: '', tags: [], generator: 'builtin', scenes: [scene('a'), scene('b', { bullets: ['long bullet text'] }), scene('c', { formula: 'x' }), scene('d', { diagram: { kind: 'flow', labels: ['a'] } })] };
    const timings = [0, 5, 10, 15].map((s) => ({ start: s, end: s + 5, sentenceStarts: [s] }));
    expect(thumbnailMoments(script as never, timings, 20)).toEqual([4.4, 14.4, 19.4]);
  });

  it('spreads the rest over the video when there are fewer scenes than moments', () => {
    const script = { title: 't', description: '', tags: [], generator: 'builtin', scenes: [scene('a')] };
    expect(thumbnailMoments(script as never, [{ start: 0, end: 8, sentenceStarts: [0] }], 8)).toEqual([2, 4, 7.4]);
  });

  it('finds the still on screen at a moment', () => {
    const stills = [
      { path: 'a', seconds: 2 },
      { path: 'b', seconds: 3 },
    ];
    expect([0, 1.99, 2, 4.9, 9].map((t) => stillAt(stills, t))).toEqual(['a', 'a', 'b', 'b', 'b']);
  });
});
