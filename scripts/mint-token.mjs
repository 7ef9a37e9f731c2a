// Local Clerk stand-in for development and tests: keeps an RS256 key pair under var/auth/, writes
// its public JWKS (the gateway reads it with AUTH_LOCAL_JWKS_PATH) and mints Clerk-shaped session
// JWTs for any user id and role (the role goes in the `metadata.role` custom claim).
//
//   node scripts/mint-token.mjs alice                      # a token for "alice", role user, 1 h
//   node scripts/mint-token.mjs root --role admin --expires-in 86400
//   node scripts/mint-token.mjs bob --name "Bob B" --email bob@example.com --azp http://localhost:5173
//   node scripts/mint-token.mjs --env                      # the gateway settings that trust these tokens
//   node scripts/mint-token.mjs --rotate alice             # a new key pair (old tokens stop verifying)
//
// The same files are used by `tokenFor()` in libs/testing. Never point a production gateway at them:
// its configuration refuses AUTH_LOCAL_JWKS_PATH with NODE_ENV=production.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_ISSUER = 'https://clerk.local.test';
export const LOCAL_AUTH_DIR = join(ROOT, 'var', 'auth');
export const LOCAL_KEY_PATH = join(LOCAL_AUTH_DIR, 'local-signing-key.json');
export const LOCAL_JWKS_PATH = join(LOCAL_AUTH_DIR, 'local-jwks.json');
const ROLES = ['user', 'moderator', 'admin'];

function writeJwks(stored) {
  const jwks = JSON.stringify({ keys: [{ ...stored.publicJwk, kid: stored.kid, alg: 'RS256', use: 'sig' }] }, null, 2);
  if (existsSync(LOCAL_JWKS_PATH) && readFileSync(LOCAL_JWKS_PATH, 'utf8') === jwks) return;
  const tmp = `${LOCAL_JWKS_PATH}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, jwks);
  renameSync(tmp, LOCAL_JWKS_PATH);
}

/** The local key pair, created on first use (atomically: parallel callers end up with one key). */
export async function ensureLocalKey({ rotate = false } = {}) {
  mkdirSync(LOCAL_AUTH_DIR, { recursive: true });
  if (rotate || !existsSync(LOCAL_KEY_PATH)) {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const candidate = { kid: `local-${randomBytes(6).toString('hex')}`, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    const tmp = `${LOCAL_KEY_PATH}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(candidate), { mode: 0o600 });
    if (rotate) renameSync(tmp, LOCAL_KEY_PATH);
    else {
      try {
        linkSync(tmp, LOCAL_KEY_PATH);
      } catch {
        // Another process created it first: use that one.
      }
      unlinkSync(tmp);
    }
  }
  const stored = JSON.parse(readFileSync(LOCAL_KEY_PATH, 'utf8'));
  writeJwks(stored);
  return stored;
}

/** A Clerk-shaped session JWT for `userId`, signed with the local key. */
export async function mintToken(userId, { role = 'user', name, email, expiresIn = 3600, issuer = LOCAL_ISSUER, azp = 'http://localhost:3000' } = {}) {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(userId ?? '')) throw new Error('user id: 1-128 of A-Z a-z 0-9 _ -');
  if (!ROLES.includes(role)) throw new Error(`role: one of ${ROLES.join(', ')}`);
  const stored = await ensureLocalKey();
  const key = await importJWK(stored.privateJwk, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sid: `sess_${randomBytes(8).toString('hex')}`,
    azp,
    name: name ?? userId,
    email: email ?? `${userId}@example.test`,
    email_verified: true,
    metadata: { role },
  })
    .setProtectedHeader({ alg: 'RS256', kid: stored.kid, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(issuer)
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(now + Number(expiresIn))
    .sign(key);
}

/** The gateway settings that trust the local key. */
export const localAuthEnv = () => ({ CLERK_ISSUER: LOCAL_ISSUER, AUTH_LOCAL_JWKS_PATH: LOCAL_JWKS_PATH });

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opts = {};
  const positional = [];
  let rotate = false;
  let env = false;
  const names = { '--role': 'role', '--name': 'name', '--email': 'email', '--expires-in': 'expiresIn', '--issuer': 'issuer', '--azp': 'azp' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--rotate') rotate = true;
    else if (a === '--env') env = true;
    else if (a === '-h' || a === '--help') opts.help = true;
    else if (names[a]) opts[names[a]] = args[++i];
    else positional.push(a);
  }
  if (opts.help || (!env && !rotate && positional.length !== 1)) {
    process.stderr.write('usage: node scripts/mint-token.mjs <user_id> [--role user|moderator|admin] [--name N] [--email E] [--expires-in S] [--issuer URL] [--azp ORIGIN]\n       node scripts/mint-token.mjs --env | --rotate\n');
    process.exit(opts.help ? 0 : 2);
  }
  delete opts.help;
  await ensureLocalKey({ rotate });
  if (env) for (const [k, v] of Object.entries(localAuthEnv())) process.stdout.write(`${k}=${v}\n`);
  if (positional.length === 1) {
    try {
      process.stdout.write(`${await mintToken(positional[0], opts)}\n`);
    } catch (err) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
  }
}
