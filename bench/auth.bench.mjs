// Auth benchmark (`npm run bench -- auth`; needs `npm run build`). One run measures, side by side:
//   - the rate-limit check per request, in process: RateLimiter.consume() against the real users
//     service over NATS (reservations included), p50/p99/p99.9 in microseconds;
//   - the same over HTTP: sequential requests on one keep-alive connection to two gateway processes
//     that differ only in RATE_LIMIT_ENABLED, same route (GET /auth/permissions), same token;
//     the p99 difference is what the check adds to a request;
//   - JWT verification: RS256 verify of a never-seen token against a cached one (in process), and
//     over HTTP a fresh token per request against one reused token.
import { createTestInfra, mintToken, PrivateNatsServer, REPO_ROOT, spawnService, tokenFor } from '@vgp/testing';
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const N_HTTP = Number(process.env.BENCH_REQUESTS ?? 4000);
const N_CHECKS = 200_000;
const dist = (p) => pathToFileURL(resolve(REPO_ROOT, p)).href;
const { RateLimiter } = await import(dist('apps/gateway/dist/rate-limit/rate-limiter.js'));
const { ClerkJwtVerifier } = await import(dist('apps/gateway/dist/auth/clerk-jwt.verifier.js'));
const { NatsClient, connectNats } = await import('@vgp/messaging');

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (samplesNs) => {
  const s = Float64Array.from(samplesNs, (v) => Number(v) / 1000).sort();
  return { p50: pct(s, 50), p99: pct(s, 99), p999: pct(s, 99.9) };
};
const fmt = (st) => `p50 ${st.p50.toFixed(1)} µs, p99 ${st.p99.toFixed(1)} µs, p99.9 ${st.p999.toFixed(1)} µs`;

const infra = await createTestInfra('benchauth');
const nats = await PrivateNatsServer.start();
const env = { ...infra.env, NATS_URL: nats.url, LOG_LEVEL: 'error', AUTH_USERS_OPTIONAL: 'false' };
const high = { RATE_LIMIT_USER: '10000000', RATE_LIMIT_ANONYMOUS: '10000000' };
const started = [];
const spawnKept = async (name, e) => {
  const s = await spawnService(name, e);
  started.push(s);
  return s;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(base, path, token) {
  return new Promise((res, rej) => {
    const req = http.get(`${base}${path}`, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode));
    });
    req.on('error', rej);
  });
}
/** Sequential latencies (ns) of `n` requests, alternating two targets so drift hits both alike. */
async function alternate(n, a, b) {
  const la = [];
  const lb = [];
  for (let i = 0; i < n; i++) {
    for (const [t, out] of i % 2 ? [[a, la], [b, lb]] : [[b, lb], [a, la]]) {
      const t0 = process.hrtime.bigint();
      const status = await t();
      out.push(process.hrtime.bigint() - t0);
      if (status !== 200) throw new Error(`status ${status}`);
    }
  }
  return [stats(la), stats(lb)];
}

try {
  await spawnKept('users', env);
  const [gwOn, gwOff] = await Promise.all([
    spawnKept('gateway', { ...env, ...high, RATE_LIMIT_ENABLED: 'true' }),
    spawnKept('gateway', { ...env, ...high, RATE_LIMIT_ENABLED: 'false' }),
  ]);

  // 1. The check itself, in process, against the real shared store.
  const nc = await connectNats({ servers: nats.url, name: 'bench' });
  const client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 2000 });
  const limiter = new RateLimiter((r) => client.request('users.v1.ratelimit.reserve', r), { windowSeconds: 60 });
  const keys = Array.from({ length: 1000 }, (_, i) => `u:bench${i}`);
  for (const k of keys) await limiter.consume(k, 300); // each caller's first reservation
  const checks = [];
  for (let i = 0; i < N_CHECKS; i++) {
    const t0 = process.hrtime.bigint();
    const d = limiter.consume(keys[i % keys.length], 1_000_000);
    if (d instanceof Promise) await d;
    checks.push(process.hrtime.bigint() - t0);
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  const check = stats(checks);
  console.log(`rate-limit check (in process, 1000 callers, ${N_CHECKS} checks): ${fmt(check)}`);

  // 2. The same route with and without the check, over HTTP.
  const token = await tokenFor('bench-user');
  for (let i = 0; i < 200; i++) await Promise.all([get(gwOn.url, '/api/v1/auth/permissions', token), get(gwOff.url, '/api/v1/auth/permissions', token)]);
  const [on, off] = await alternate(N_HTTP, () => get(gwOn.url, '/api/v1/auth/permissions', token), () => get(gwOff.url, '/api/v1/auth/permissions', token));
  console.log(`GET /auth/permissions without rate limit: ${fmt(off)}`);
  console.log(`GET /auth/permissions with rate limit:    ${fmt(on)}`);
  console.log(`  rate limit adds: p50 ${(on.p50 - off.p50).toFixed(1)} µs, p99 ${(on.p99 - off.p99).toFixed(1)} µs (ratio p99 ${(on.p99 / off.p99).toFixed(2)}x)`);

  // 3. JWT verification: a never-seen token against a cached one.
  const verifier = new ClerkJwtVerifier({ issuer: env.CLERK_ISSUER, jwksPath: env.AUTH_LOCAL_JWKS_PATH, authorizedParties: [], clockSkewSeconds: 5 });
  const fresh = await Promise.all(Array.from({ length: 3000 }, (_, i) => mintToken(`bench-v${i % 50}`, 'user')));
  await verifier.verify(fresh[0]);
  const uncached = [];
  for (const t of fresh.slice(1)) {
    const t0 = process.hrtime.bigint();
    await verifier.verify(t);
    uncached.push(process.hrtime.bigint() - t0);
  }
  const cached = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = process.hrtime.bigint();
    await verifier.verify(fresh[1 + (i % 1000)]);
    cached.push(process.hrtime.bigint() - t0);
  }
  const [u, c] = [stats(uncached), stats(cached)];
  console.log(`JWT verify, never-seen token (RS256): ${fmt(u)}`);
  console.log(`JWT verify, cached token:             ${fmt(c)}  (uncached/cached p50 ${(u.p50 / c.p50).toFixed(0)}x)`);

  const httpFresh = await Promise.all(Array.from({ length: 2000 }, (_, i) => mintToken(`bench-h${i % 20}`, 'user')));
  for (let i = 0; i < 20; i++) await get(gwOff.url, '/api/v1/auth/permissions', await tokenFor(`bench-h${i}`));
  let k = 0;
  const [fr, same] = await alternate(
    httpFresh.length,
    () => get(gwOff.url, '/api/v1/auth/permissions', httpFresh[k++]),
    () => get(gwOff.url, '/api/v1/auth/permissions', token),
  );
  console.log(`GET /auth/permissions, same token:      ${fmt(same)}`);
  console.log(`GET /auth/permissions, fresh token each: ${fmt(fr)}`);
  console.log(`  verification adds: p50 ${(fr.p50 - same.p50).toFixed(1)} µs, p99 ${(fr.p99 - same.p99).toFixed(1)} µs`);
  await nc.close();
} finally {
  agent.destroy();
  // Services that did start are stopped even when another did not.
  await Promise.all(started.map((s) => s.stop()));
  await nats.down();
  await infra.cleanup();
}
