// A stand-in render worker for the jobs e2e tests: speaks the worker protocol of the jobs
// service over NATS (claim, renew, progress, complete, release on cancel) without rendering.
// Env: NATS_URL, NATS_SUBJECT_PREFIX, WORKER_ID, STEP_MS (time per stage). Prints one line per
// action: "claimed <id>", "progress <id> <pct>", "completed <id>", "aborted <id>".
import { connect } from '@nats-io/transport-node';

const prefix = process.env.NATS_SUBJECT_PREFIX ?? '';
const workerId = process.env.WORKER_ID ?? `test-worker-${process.pid}`;
const stepMs = Number(process.env.STEP_MS ?? 200);
const STAGES = ['content_analysis', 'script_generation', 'video_generation', 'thumbnail_generation', 'subtitle_generation'];
const nc = await connect({ servers: process.env.NATS_URL });

async function call(subject, payload) {
  const msg = await nc.request(prefix + subject, JSON.stringify(payload), { timeout: 5000 });
  const reply = msg.json();
  if (reply.e) throw Object.assign(new Error(reply.e.message), reply.e);
  return reply.d;
}

const cancelled = new Set();
// A job cancelled while queued was nobody's (a retry may queue it again): only running ones stop.
nc.subscribe(prefix + 'jobs.v1.job.cancelled', {
  callback: (_e, m) => {
    const e = m.json();
    if (e.was !== 'queued') cancelled.add(e.job_id);
  },
});
let wake = () => undefined;
nc.subscribe(prefix + 'jobs.v1.job.queued', { callback: () => wake() });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (line) => process.stdout.write(`${line}\n`);

async function run(job) {
  const lease = { job_id: job.job_id, lease_token: job.lease_token };
  say(`claimed ${job.job_id}`);
  const renew = setInterval(() => call('jobs.v1.lease.renew', lease).then((s) => s.cancel_requested && cancelled.add(job.job_id), () => undefined), 500);
  try {
    const done = [];
    for (let i = 0; i < STAGES.length; i++) {
      // Sleep in small slices so a cancellation stops the job within a fraction of a second.
      for (let t = 0; t < stepMs; t += 50) {
        if (cancelled.has(job.job_id)) {
          say(`aborted ${job.job_id}`);
          await call('jobs.v1.lease.release', lease).catch(() => undefined);
          return;
        }
        await sleep(Math.min(50, stepMs - t));
      }
      done.push(STAGES[i]);
      const pct = Math.round(((i + 1) / STAGES.length) * 100 * 10) / 10;
      if (i < STAGES.length - 1) {
        const s = await call('jobs.v1.job.progress', { ...lease, percentage: pct, current_stage: STAGES[i + 1], stages_completed: done });
        if (s.cancel_requested) cancelled.add(job.job_id);
        say(`progress ${job.job_id} ${pct}`);
      }
    }
    await call('jobs.v1.job.complete', { ...lease, result: { video_id: `video-${job.job_id}`, worker_id: workerId }, stages_completed: done });
    say(`completed ${job.job_id}`);
  } catch (err) {
    say(`lost ${job.job_id} ${err.code ?? err.message}`);
  } finally {
    clearInterval(renew);
  }
}

process.on('SIGTERM', () => void nc.drain().then(() => process.exit(0)));
say('ready');
for (;;) {
  let job = null;
  try {
    job = (await call('jobs.v1.job.claim', { worker_id: workerId })).job;
  } catch {
    // jobs service away (restart): try again shortly.
  }
  if (job) await run(job);
  else await Promise.race([sleep(500), new Promise((r) => (wake = r))]);
}
