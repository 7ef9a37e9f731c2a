import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';

type SigningKey = Awaited<ReturnType<typeof importJWK>>;
import { REPO_ROOT } from './platform-process.js';

/** Issuer of locally minted tokens (the gateway's CLERK_ISSUER in tests and `npm start`). */
export const LOCAL_ISSUER = 'https://clerk.local.test';
/** Where the local key pair lives (same files as `scripts/mint-token.mjs`). */
export const LOCAL_AUTH_DIR = join(REPO_ROOT, 'var', 'auth');
export const LOCAL_KEY_PATH = join(LOCAL_AUTH_DIR, 'local-signing-key.json');
/** The JWKS (public keys only) the gateway reads with AUTH_LOCAL_JWKS_PATH. */
export const LOCAL_JWKS_PATH = join(LOCAL_AUTH_DIR, 'local-jwks.json');

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

let cached: { kid: string; key: SigningKey } | undefined;

function writeJwks(stored: StoredKey): void {
  const jwks = JSON.stringify({ keys: [{ ...stored.publicJwk, kid: stored.kid, alg: 'RS256', use: 'sig' }] }, null, 2);
  if (existsSync(LOCAL_JWKS_PATH) && readFileSync(LOCAL_JWKS_PATH, 'utf8') === jwks) return;
  const tmp = `${LOCAL_JWKS_PATH}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, jwks);
  renameSync(tmp, LOCAL_JWKS_PATH);
}

/**
 * The local RS256 key pair under `var/auth/`, created on first use. Parallel test processes race
 * to create it: the key file appears atomically (hard link of a complete file), the loser reads
 * the winner's.
 */
export async function ensureLocalSigningKey(): Promise<StoredKey> {
  mkdirSync(LOCAL_AUTH_DIR, { recursive: true });
  if (!existsSync(LOCAL_KEY_PATH)) {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const candidate: StoredKey = { kid: `local-${randomBytes(6).toString('hex')}`, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    const tmp = `${LOCAL_KEY_PATH}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(candidate), { mode: 0o600 });
    try {
      linkSync(tmp, LOCAL_KEY_PATH);
    } catch {
      // Another process won the race: use its key.
    } finally {
      unlinkSync(tmp);
    }
  }
  const stored = JSON.parse(readFileSync(LOCAL_KEY_PATH, 'utf8')) as StoredKey;
  writeJwks(stored);
  return stored;
}

async function signingKey(): Promise<{ kid: string; key: SigningKey }> {
  if (!cached) {
    const stored = await ensureLocalSigningKey();
    cached = { kid: stored.kid, key: await importJWK(stored.privateJwk, 'RS256') };
  }
  return cached;
}

export interface MintOptions {
  /** Seconds until expiry (negative: already expired). Default 3600. */
  expiresIn?: number;
  issuer?: string;
  azp?: string;
  /** Extra or overriding claims (`email`, `name`, `metadata`, ...). */
  claims?: JWTPayload & Record<string, unknown>;
}

/** A Clerk-shaped session JWT signed with the local key: `sub`, `sid`, `azp`, the role in `metadata.role`. */
export async function mintToken(userId: string, role: string | undefined, opts: MintOptions = {}): Promise<string> {
  const { kid, key } = await signingKey();
  const now = Math.floor(Date.now() / 1000);
  const exp = now + (opts.expiresIn ?? 3600);
  const iat = Math.min(now, exp - 1);
  const payload: JWTPayload & Record<string, unknown> = {
    sub: userId,
    iss: opts.issuer ?? LOCAL_ISSUER,
    iat,
    nbf: iat - 5,
    exp,
    sid: `sess_${randomBytes(8).toString('hex')}`,
    azp: opts.azp ?? 'http://localhost:3000',
    name: userId,
    email: `${userId}@example.test`,
    email_verified: true,
    ...(role ? { metadata: { role } } : {}),
    ...opts.claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
}

/**
 * A bearer token for `userId` as the frontend would send: a real RS256 session JWT signed with
 * the local key that `createTestInfra`'s gateway trusts. The role only seeds a new user's role;
 * afterwards the users service's stored role is authoritative.
 */
export async function tokenFor(userId: string, role: 'user' | 'moderator' | 'admin' = 'user'): Promise<string> {
  return mintToken(userId, role);
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * Tokens a verifier must refuse, for `userId`: signed by another key (same `kid`), expired,
 * `alg: none`, HS256 keyed with the trusted public key (PEM and JWKS forms), another issuer, and
 * one not yet valid.
 */
export async function hostileTokens(userId: string, role = 'admin'): Promise<Record<string, string>> {
  const stored = await ensureLocalSigningKey();
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: userId, iss: LOCAL_ISSUER, iat: now, nbf: now - 5, exp: now + 600, azp: 'http://localhost:3000', metadata: { role } };
  const other = await generateKeyPair('RS256');
  const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: stored.kid, typ: 'JWT' }).sign(other.privateKey);
  const { createPublicKey } = await import('node:crypto');
  const pem = createPublicKey({ key: stored.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const hs = (secret: Uint8Array) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: stored.kid, typ: 'JWT' }).sign(secret);
  return {
    other_key: forged,
    expired: await mintToken(userId, role, { expiresIn: -120 }),
    alg_none: `${b64url({ alg: 'none', typ: 'JWT', kid: stored.kid })}.${b64url(claims)}.`,
    hs256_public_pem: await hs(new TextEncoder().encode(pem)),
    hs256_public_jwk: await hs(new TextEncoder().encode(JSON.stringify(stored.publicJwk))),
    other_issuer: await mintToken(userId, role, { issuer: 'https://evil.example.com' }),
    not_yet_valid: await mintToken(userId, role, { claims: { nbf: now + 600, iat: now + 600 } }),
    garbage: 'not.a.jwt',
  };
}
