// Installs what the platform and its tests need: system tools from Debian's packages, then npm deps.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { log, ROOT, run } from './lib/infra.mjs';

// Binary -> Debian package. ffmpeg/ffprobe and espeak-ng render videos; nats-server is the bus when
// none is configured; promtool (prometheus) and docker-compose validate the deploy files in tests;
// Chromium plays and seeks a streamed video in the end-to-end tests.
const TOOLS = {
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  'espeak-ng': 'espeak-ng',
  'nats-server': 'nats-server',
  promtool: 'prometheus',
  'docker-compose': 'docker-compose',
  pdftotext: 'poppler-utils',
  chromium: 'chromium',
};
// Slide fonts: DejaVu, WenQuanYi Micro Hei for Chinese, Japanese and Korean text, Symbola for emoji.
const ALWAYS = ['fonts-dejavu-core', 'fonts-wqy-microhei', 'fonts-symbola'];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin} || test -x /usr/bin/${bin}`]).status === 0;
const installed = (pkg) => spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed');

const missing = new Set();
for (const [bin, pkg] of Object.entries(TOOLS)) if (!has(bin)) missing.add(pkg);
for (const pkg of ALWAYS) if (!installed(pkg)) missing.add(pkg);

if (missing.size) {
  const pkgs = [...missing];
  if (!has('apt-get')) {
    log(`Please install: ${pkgs.join(' ')} (no apt-get here)`);
    process.exit(1);
  }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`Installing ${pkgs.join(' ')} with apt-get`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], env);
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], env);
} else {
  log('System tools present');
}

const lock = resolve(ROOT, 'package-lock.json');
const marker = resolve(ROOT, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  log('Installing npm dependencies (npm install with the committed lockfile)');
  run('npm', ['install', '--no-audit', '--no-fund']);
} else {
  log('npm dependencies up to date');
}
