// Render benchmark (`npm run bench -- render`; needs `npm run build`). For a 60-second video at
// low, medium and high quality it measures, in the same run:
//   - the worker's pipeline (all five stages: script, slides rasterised by resvg, espeak-ng
//     narration, one ffmpeg encode with the audio muxed, thumbnails, subtitles);
//   - the baseline: a bare ffmpeg encode of the very same slide frames (same concat list and
//     video settings, no audio), as one would write it by hand;
// reporting wall time, realtime factor (video seconds per wall second), peak memory (worker RSS
// plus its child processes, sampled every 50 ms) and file size; then 30 s vs 60 s at medium for
// linearity. Each figure is the best of BENCH_RUNS runs (default 3): on a shared machine the
// minimum is the figure least disturbed by other work.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = new URL('../apps/render-worker/dist/', import.meta.url);
const { RenderPipeline } = await import(new URL('pipeline/render-pipeline.js', dist));
const { encodeArgs, QUALITY_PROFILES, FORMAT_PROFILES } = await import(new URL('pipeline/video-generation/encoder.js', dist));
const { runFfmpeg, DEFAULT_TOOL_PATHS } = await import(new URL('media/ffmpeg.js', dist));
const { runningProcessIds } = await import(new URL('media/process-runner.js', dist));

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SENTENCES = [
  'A right triangle has one angle of exactly ninety degrees.',
  'The side across from that angle is called the hypotenuse, and it is always the longest side.',
  'The other two sides are called the legs of the triangle.',
  'Pythagoras noticed that the areas of squares built on the sides are related.',
  'The square on the hypotenuse has the same area as the two smaller squares together.',
  'Builders use this fact to check that corners are square.',
  'If one leg is three and the other is four, the hypotenuse must be five.',
  'This works for every right triangle, large or small.',
];

/** A script whose narration lasts about `seconds` (espeak-ng at 165 words per minute). */
function script(seconds) {
  const scenes = [];
  const perScene = 4;
  const count = Math.max(1, Math.round(seconds / 15));
  for (let i = 0; i < count; i++) {
    scenes.push({
      heading: `Part ${i + 1}: the Pythagorean theorem`,
      bullets: ['Right angle', 'Hypotenuse', 'Legs'].map((b) => `${b} ${i + 1}`),
      narration: Array.from({ length: perScene }, (_, k) => SENTENCES[(i * perScene + k) % SENTENCES.length]),
      ...(i % 3 === 1 ? { formula: 'a^2 + b^2 = c^2' } : {}),
      ...(i % 3 === 2 ? { diagram: { kind: 'right_triangle', labels: ['a', 'b', 'c'] } } : {}),
    });
  }
  return { title: 'Pythagorean theorem', description: 'Benchmark', tags: [], scenes, generator: 'bench' };
}

/** Peak RSS of this process plus its child processes while `fn` runs. */
async function measured(fn) {
  let peak = 0;
  const rssOf = async (pid) => {
    try {
      const s = await readFile(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const kids = await Promise.all(runningProcessIds().map(rssOf));
      peak = Math.max(peak, process.memoryUsage().rss + kids.reduce((a, b) => a + b, 0));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, seconds: (performance.now() - t0) / 1000, peak };
  } finally {
    sampling = false;
    await sampler;
  }
}

async function renderOnce(quality, seconds) {
  const dir = await mkdtemp(join(tmpdir(), 'vgp-bench-render-'));
  const fixed = script(seconds);
  const pipeline = new RenderPipeline({
    tools: DEFAULT_TOOL_PATHS,
    voice: 'en-us',
    wordsPerMinute: 165,
    ragLimit: 5,
    generators: { for: () => ({ generate: async () => fixed }) },
    searchPassages: async () => [],
  });
  const configuration = { topic: 'Pythagorean theorem', context: '', quality, use_rag: false, enable_subtitles: true, enable_thumbnails: true, output_format: 'mp4' };
  const stages = {};
  const ours = await measured(() => pipeline.run({ jobId: 'bench', userId: 'bench', configuration, dir, onStageDone: (s, sec) => (stages[s] = sec) }));
  const r = ours.value;
  // Baseline: the same frames through ffmpeg alone.
  const bareOut = join(dir, 'bare.mp4');
  const args = encodeArgs({ audioPath: null, duration: r.video.narration.duration, quality: QUALITY_PROFILES[quality], format: FORMAT_PROFILES.mp4, listPath: join(dir, 'slides.ffconcat'), outPath: bareOut });
  const bare = await measured(() => runFfmpeg('ffmpeg', args));
  const out = {
    duration: r.video.probe.duration,
    ours: { seconds: ours.seconds, peak: ours.peak, size: (await stat(r.video.path)).size, timings: r.video.timings, videoStage: stages.video_generation },
    bare: { seconds: bare.seconds, peak: bare.peak, size: (await stat(bareOut)).size },
  };
  await rm(dir, { recursive: true, force: true });
  return out;
}

async function best(quality, seconds) {
  let b;
  for (let i = 0; i < RUNS; i++) {
    const r = await renderOnce(quality, seconds);
    if (!b) b = r;
    else {
      if (r.ours.seconds < b.ours.seconds) b.ours = r.ours;
      if (r.bare.seconds < b.bare.seconds) b.bare = r.bare;
    }
  }
  return b;
}

const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const targets = { low: 8, medium: 5, high: 2.5 };
const rows = [];
let ok = true;
const results = {};
for (const q of ['low', 'medium', 'high']) {
  const r = (results[q] = await best(q, 60));
  const rtf = r.duration / r.ours.seconds;
  const ratio = r.ours.seconds / r.bare.seconds;
  const stageRatio = r.ours.videoStage / r.bare.seconds;
  const pass = rtf >= targets[q] && (q !== 'medium' || ratio <= 1.3);
  ok &&= pass;
  rows.push(
    `| ${q} | ${r.duration.toFixed(1)} s | ${r.ours.seconds.toFixed(2)} s | ${rtf.toFixed(1)}x | ${mb(r.ours.peak)} | ${(r.ours.size / 1e6).toFixed(2)} MB | ${r.bare.seconds.toFixed(2)} s | ${(r.duration / r.bare.seconds).toFixed(1)}x | ${mb(r.bare.peak)} | ${ratio.toFixed(2)} | ${stageRatio.toFixed(2)} | ≥${targets[q]}x${q === 'medium' ? ', ≤1.3' : ''} ${pass ? 'ok' : 'MISSED'} |`,
  );
  console.log(`${q}: slides ${r.ours.timings.slides.toFixed(2)} s, narration ${r.ours.timings.narration.toFixed(2)} s (concurrent), encode ${r.ours.timings.encode.toFixed(2)} s`);
}
console.log('\n| quality | video | pipeline wall (5 stages) | realtime | peak memory | file | bare ffmpeg wall | bare realtime | bare peak | pipeline / bare | video stage / bare | target |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);

const half = await best('medium', 30);
const full = results.medium;
const perSecond = (x) => x.ours.seconds / x.duration;
const growth = perSecond(full) / perSecond(half);
const linear = growth > 0.75 && growth < 1.33;
ok &&= linear;
console.log(
  `\nLinearity (medium): 30 s video ${half.ours.seconds.toFixed(2)} s wall (${half.duration.toFixed(1)} s), 60 s video ${full.ours.seconds.toFixed(2)} s wall (${full.duration.toFixed(1)} s); cost per video second 60 s / 30 s = ${growth.toFixed(2)} ${linear ? 'ok' : 'NOT LINEAR'}`,
);
process.exit(ok ? 0 : 1);
