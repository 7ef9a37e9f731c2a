// Files benchmark (`npm run bench -- files`; needs `npm run build`). One run measures, side by side:
//   - `cp` of a 100 MB file on the same disk (the baseline);
//   - the same file uploaded through the gateway (multipart, streamed to blob storage, SHA-256,
//     type sniffing, registration over NATS) and downloaded through it;
//   - the gateway's resident memory while it moves 10 MB and 100 MB files (it must not grow with size);
//   - 1 MB range requests at 50 connections, against a bare Node server serving the same ranges of
//     the same file.
// The clients are curl (uploads, downloads) and a lean keep-alive load generator (ranges: raw
// sockets, each reading into one reused 1 MiB buffer, so the client allocates nothing per
// response): on 2 cores the client shares the CPU with the server it measures, and Node's
// http client (about twice the CPU per response) or autocannon (a tenth of the bare server's rate)
// held both servers back. The same client measures the baseline and the gateway.
import { createTestInfra, freePort, PrivateNatsServer, spawnService, tokenFor } from '@vgp/testing';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

const MB = 1024 * 1024;
const SIZE = 100 * MB;
const RUNS = 5;
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const mbps = (bytes, ms) => bytes / MB / (ms / 1000);

/** A gzip-looking file (the allow-list accepts it, and nothing is probed or indexed): magic bytes, then random data. */
async function makeFile(path, size) {
  const out = createWriteStream(path);
  out.write(Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]));
  let left = size - 10;
  const block = randomBytes(4 * MB);
  while (left > 0) {
    const n = Math.min(left, block.length);
    if (!out.write(block.subarray(0, n))) await new Promise((r) => out.once('drain', r));
    left -= n;
  }
  await new Promise((r) => out.end(r));
}

/** Peak RSS of a process while `fn` runs, sampled every 10 ms from /proc. */
async function peakRss(pid, fn) {
  const read = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  let peak = await read();
  let on = true;
  const sampler = (async () => {
    while (on) {
      peak = Math.max(peak, await read());
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    return { result: await fn(), peak };
  } finally {
    on = false;
    await sampler;
  }
}

// Transfer times are curl's own `time_total` (connection to last byte), so starting the curl
// process is not counted against the gateway; `cp` is timed around its process (about 1 ms).

/** Uploads `path` as the `file` part (curl streams it); answers the file's metadata and the transfer's ms. */
function upload(api, token, path, filename) {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-s', '-w', '\n%{time_total}', '-H', `authorization: Bearer ${token}`, '-F', `file=@${path};filename=${filename};type=application/gzip`, `${api}/files/upload`]);
    const out = [];
    curl.stdout.on('data', (c) => out.push(c));
    curl.on('error', reject);
    curl.on('close', () => {
      try {
        const text = Buffer.concat(out).toString();
        const cut = text.lastIndexOf('\n');
        const body = JSON.parse(text.slice(0, cut));
        if (body.status !== 'success') reject(new Error(`upload failed: ${JSON.stringify(body)}`));
        else resolve({ ...body.data, ms: Number(text.slice(cut + 1)) * 1000 });
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Downloads a URL to /dev/null with curl; answers how many bytes arrived and the transfer's ms. */
function download(url, token) {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-s', '-f', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', ...(token ? ['-H', `authorization: Bearer ${token}`] : []), url]);
    const out = [];
    curl.stdout.on('data', (c) => out.push(c));
    curl.on('error', reject);
    curl.on('close', (code) => {
      if (code !== 0) return reject(new Error(`download failed (curl ${code})`));
      const [bytes, seconds] = Buffer.concat(out).toString().split(' ').map(Number);
      resolve({ bytes, ms: seconds * 1000 });
    });
  });
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * The baseline server for ranges, and a reference for whole downloads: plain Node, the same file,
 * no auth, no NATS (`fs.createReadStream(...).pipe(res)`).
 */
async function bareRangeServer(path) {
  const port = await freePort();
  const src = `
    const http = require('node:http'); const fs = require('node:fs');
    http.createServer((req, res) => {
      const m = /bytes=(\\d+)-(\\d+)/.exec(req.headers.range || '');
      if (!m) {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': ${SIZE} });
        return fs.createReadStream(${JSON.stringify(path)}, { highWaterMark: 262144 }).pipe(res);
      }
      const start = Number(m[1]), end = Number(m[2]);
      res.writeHead(206, { 'content-type': 'application/gzip', 'content-length': end - start + 1, 'content-range': 'bytes ' + start + '-' + end + '/' + ${SIZE} });
      fs.createReadStream(${JSON.stringify(path)}, { start, end, highWaterMark: 262144 }).pipe(res);
    }).listen(${port}, '127.0.0.1', () => console.log('up'));`;
  const proc = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => proc.stdout.once('data', r));
  return { url: `http://127.0.0.1:${port}/file`, stop: () => proc.kill() };
}

/**
 * 50 keep-alive connections asking for ten different 1 MB ranges in turn for DURATION s; latencies
 * of every request (from writing the request to the last byte of the body). Raw sockets: the
 * response head is parsed for its status and Content-Length, the body only counted.
 */
async function ranges(url, token) {
  const u = new URL(url);
  const latencies = [];
  let failed = 0;
  const end = Date.now() + DURATION * 1000;
  const auth = token ? `authorization: Bearer ${token}\r\n` : '';
  const connection = (c) =>
    new Promise((resolve) => {
      let i = c;
      let t0 = 0;
      let head = '';
      let inBody = false;
      let left = 0;
      let status = 0;
      let socket;
      const next = () => {
        if (Date.now() >= end) return socket.end(resolve);
        const start = (i++ % 10) * 7 * MB;
        head = '';
        inBody = false;
        t0 = performance.now();
        socket.write(`GET ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\nrange: bytes=${start}-${start + MB - 1}\r\n${auth}\r\n`);
      };
      const onread = (n, buf) => {
        let off = 0;
        while (off < n) {
          if (!inBody) {
            const seen = head.length;
            head += buf.latin1Slice(off, n);
            const k = head.indexOf('\r\n\r\n');
            if (k < 0) return;
            off += k + 4 - seen;
            status = Number(head.slice(9, 12));
            left = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head.slice(0, k))?.[1] ?? 0);
            inBody = true;
          }
          const take = Math.min(left, n - off);
          left -= take;
          off += take;
          if (left > 0) return;
          if (status === 206) latencies.push(performance.now() - t0);
          else failed++;
          next();
          return;
        }
      };
      socket = net.connect({ host: u.hostname, port: Number(u.port), onread: { buffer: Buffer.allocUnsafe(MB), callback: onread } });
      socket.setNoDelay(true);
      socket.on('connect', next);
      socket.on('error', () => {
        failed++;
        resolve();
      });
    });
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => connection(c)));
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / DURATION, p50: at(0.5), p99: at(0.99), failed };
}

const infra = await createTestInfra('benchfiles');
const nats = await PrivateNatsServer.start();
// MALLOC_TRIM_THRESHOLD_ and NODE_OPTIONS as the Docker image sets them (see the Dockerfile): the services run as in production.
const env = {
  ...infra.env,
  NATS_URL: nats.url,
  LOG_LEVEL: 'error',
  RPC_TIMEOUT_MS: '5000',
  RATE_LIMIT_ENABLED: 'false',
  MALLOC_TRIM_THRESHOLD_: '67108864',
  NODE_OPTIONS: '--max-semi-space-size=32',
};
const services = [];
let bare;
const src = join(infra.storageDir, 'bench-source.gz');
const small = join(infra.storageDir, 'bench-small.gz');
try {
  for (const name of ['users', 'files']) services.push(await spawnService(name, env));
  const gateway = await spawnService('gateway', env);
  services.push(gateway);
  const api = `${gateway.url}/api/v1`;
  const token = await tokenFor('bench-files', 'admin');
  await makeFile(src, SIZE);
  await makeFile(small, 10 * MB);
  const dev = (await stat(src)).dev;
  if (dev !== (await stat(infra.storageDir)).dev) throw new Error('source and storage are not on the same disk');

  // Warm the page cache and every path once.
  await readFile(src);
  const warm = await upload(api, token, small, 'warm.gz');
  await download(`${api}/files/${warm.id}/download`, token);

  bare = await bareRangeServer(src);
  await download(bare.url);
  const cpMs = [];
  const cpSyncMs = [];
  const upMs = [];
  const downMs = [];
  const bareDownMs = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const dst = join(infra.storageDir, `bench-copy-${i}.gz`);
    cpMs.push(await timed(async () => {
      const r = spawnSync('cp', [src, dst]);
      if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
    }));
    await rm(dst);
    cpSyncMs.push(await timed(async () => {
      const r = spawnSync('sh', ['-c', 'cp "$0" "$1" && sync "$1"', src, dst]);
      if (r.status !== 0) throw new Error(`cp + sync failed: ${r.stderr}`);
    }));
    await rm(dst);
    last = await upload(api, token, src, `big-${i}.gz`);
    upMs.push(last.ms);
    const got = await download(`${api}/files/${last.id}/download`, token);
    if (got.bytes !== SIZE) throw new Error(`downloaded ${got.bytes} bytes`);
    downMs.push(got.ms);
    const plain = await download(bare.url);
    if (plain.bytes !== SIZE) throw new Error(`downloaded ${plain.bytes} bytes from the bare server`);
    bareDownMs.push(plain.ms);
  }
  const bareDown = mbps(SIZE, median(bareDownMs));
  const cp = mbps(SIZE, median(cpMs));
  const cpSync = mbps(SIZE, median(cpSyncMs));
  const up = mbps(SIZE, median(upMs));
  const down = mbps(SIZE, median(downMs));

  const rssIdle = (await peakRss(gateway.proc.pid, async () => new Promise((r) => setTimeout(r, 200)))).peak;
  const up10 = await peakRss(gateway.proc.pid, () => upload(api, token, small, 'rss-10.gz'));
  const up100 = await peakRss(gateway.proc.pid, () => upload(api, token, src, 'rss-100.gz'));
  const down10 = await peakRss(gateway.proc.pid, () => download(`${api}/files/${up10.result.id}/download`, token));
  const down100 = await peakRss(gateway.proc.pid, () => download(`${api}/files/${up100.result.id}/download`, token));

  const base = await ranges(bare.url);
  const ranged = await ranges(`${api}/files/${last.id}/download`, token);

  const mib = (b) => `${(b / MB).toFixed(0)} MB`;
  console.log(`\n100 MB file, median of ${RUNS} runs, same disk (${infra.storageDir}):`);
  const pct = (x, base) => `${((x / base) * 100).toFixed(0)}%`.padStart(4);
  console.log(`  cp, page cache to page cache (baseline)   ${cp.toFixed(0).padStart(5)} MB/s`);
  console.log(`  cp + fsync of the copy (baseline)         ${cpSync.toFixed(0).padStart(5)} MB/s`);
  console.log(`  upload via gateway (fsynced before 201)   ${up.toFixed(0).padStart(5)} MB/s   ${pct(up, cp)} of cp, ${pct(up, cpSync)} of cp + fsync   (target >= 50%)`);
  console.log(`  download via gateway                      ${down.toFixed(0).padStart(5)} MB/s   ${pct(down, cp)} of cp   (target >= 50%)`);
  console.log(`  download from a bare Node server (ref.)   ${bareDown.toFixed(0).padStart(5)} MB/s   ${pct(bareDown, cp)} of cp; the gateway does ${pct(down, bareDown)} of it`);
  console.log(`\nGateway peak RSS: idle ${mib(rssIdle)}; upload 10 MB ${mib(up10.peak)}, 100 MB ${mib(up100.peak)}; download 10 MB ${mib(down10.peak)}, 100 MB ${mib(down100.peak)}`);
  console.log(`  growth from 10 MB to 100 MB: upload ${mib(up100.peak - up10.peak)}, download ${mib(down100.peak - down10.peak)} (flat: no growth with file size)`);
  const row = (name, r) => `  ${name.padEnd(22)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  failed ${r.failed}`;
  console.log(`\n1 MB range requests, ${CONNECTIONS} connections, ${DURATION} s:`);
  console.log(row('bare Node (baseline)', base));
  console.log(row('gateway /download', ranged));
  console.log(`  gateway p99 ${ranged.p99.toFixed(1)} ms (target < 20 ms), ${(ranged.p99 / base.p99).toFixed(2)}x the baseline's; throughput ${((ranged.rps / base.rps) * 100).toFixed(0)}% of the baseline`);
} finally {
  bare?.stop();
  for (const s of services.reverse()) await s.stop();
  await nats.down();
  await infra.cleanup();
}
