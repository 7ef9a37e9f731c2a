import { readFile } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '@vgp/contracts';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { claimsFromPayload } from './clerk-claims.js';
import { TokenVerifier, type VerifiedClaims } from './token-verifier.js';

export interface ClerkJwtVerifierOptions {
  issuer: string;
  /** Remote JWKS (the Clerk instance's). */
  jwksUrl?: string;
  /** Local JWKS file (development and tests). */
  jwksPath?: string;
  authorizedParties: string[];
  clockSkewSeconds: number;
  /** Least time between two fetches of a remote JWKS (an unknown `kid` refetches after it). Default 5 s. */
  jwksCooldownMs?: number;
}

// Clerk user ids (`user_…`) and test ids; anything else is not a subject we store.
const SUBJECT = /^[A-Za-z0-9_-]{1,128}$/;
const CACHE_MAX = 10_000;

/**
 * Where a verified token is remembered: its last 32 characters (the end of its signature), so a
 * lookup hashes 32 characters, not the whole token (about 900, hashed afresh on every request:
 * each request's header is a new string). The entry keeps the whole token and a hit must equal it.
 */
const cacheKey = (token: string) => (token.length > 32 ? token.slice(-32) : token);

/** The remote key set could not be had: 503, not the token's 401 (every user was logged out while Clerk's endpoint failed). */
class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'KeySetUnavailable';
  }
}

const unauthorized = () => new AppError(ErrorCode.UNAUTHORIZED, 401, 'The bearer token is not valid');

/**
 * A JWKS file, re-read when a token names a `kid` it does not hold (a key rotated by
 * `scripts/mint-token.mjs`), at most once a second.
 */
export function localJwksFile(path: string): JWTVerifyGetKey {
  let keySet: JWTVerifyGetKey | undefined;
  let loadedAt = 0;
  const load = async (): Promise<JWTVerifyGetKey> => {
    const jwks = JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet;
    keySet = createLocalJWKSet(jwks);
    loadedAt = Date.now();
    return keySet;
  };
  return async (header, token) => {
    const keys = keySet ?? (await load());
    try {
      return await keys(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - loadedAt < 1000) throw err;
      return (await load())(header, token);
    }
  };
}

/**
 * Verifies Clerk session JWTs: RS256 only (so neither `alg: none` nor HS256 keyed with the public
 * key gets through), signature against the instance's JWKS (cached, refetched on an unknown
 * `kid`), `exp`/`nbf` with a small skew, the issuer, and `azp` when authorized parties are set.
 * Verified tokens are remembered until they expire, so a client's repeated calls skip the RSA check.
 */
export class ClerkJwtVerifier extends TokenVerifier {
  private readonly logger = new Logger('ClerkJwtVerifier');
  private readonly keys: JWTVerifyGetKey;
  private readonly remote?: ReturnType<typeof createRemoteJWKSet>;
  private readonly verified = new Map<string, { token: string; claims: VerifiedClaims }>();

  constructor(private readonly o: ClerkJwtVerifierOptions) {
    super();
    if (o.jwksPath) this.keys = localJwksFile(o.jwksPath);
    else {
      const url = o.jwksUrl || `${o.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
      const remote = createRemoteJWKSet(new URL(url), { cooldownDuration: o.jwksCooldownMs ?? 5000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 });
      this.remote = remote;
      this.keys = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (err) {
          // The key set came and holds no key for this token: the token's fault.
          if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
          // Anything else is the endpoint failing (an error status, a body that is no key set, a
          // timeout, the network): the token may well be good.
          throw new KeySetUnavailable(err);
        }
      };
    }
  }

  /** For `/system/health`: the key set is reachable and holds keys (throws otherwise). */
  async health(): Promise<Record<string, unknown>> {
    let keys: number;
    if (this.remote) {
      if (!this.remote.fresh) await this.remote.reload();
      keys = this.remote.jwks()?.keys.length ?? 0;
    } else {
      keys = (JSON.parse(await readFile(this.o.jwksPath as string, 'utf8')) as JSONWebKeySet).keys.length;
    }
    if (!keys) throw new Error('The JWKS holds no keys');
    return { issuer: this.o.issuer, jwks: this.remote ? 'remote' : 'local file', keys, cached_tokens: this.verified.size };
  }

  override peek(token: string): VerifiedClaims | undefined {
    const key = cacheKey(token);
    const hit = this.verified.get(key);
    if (!hit || hit.token !== token) return undefined;
    if ((hit.claims.exp ?? 0) + this.o.clockSkewSeconds > Date.now() / 1000) return hit.claims;
    this.verified.delete(key);
    return undefined;
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const hit = this.peek(token);
    if (hit) return hit;
    const claims = await this.verifyUncached(token);
    if (this.verified.size >= CACHE_MAX) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(cacheKey(token), { token, claims });
    return claims;
  }

  private async verifyUncached(token: string): Promise<VerifiedClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        issuer: this.o.issuer,
        clockTolerance: this.o.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AppError(ErrorCode.TOKEN_EXPIRED, 401, 'The bearer token has expired');
      if (err instanceof KeySetUnavailable) {
        this.logger.warn(`JWKS unavailable: ${err.message}`);
        throw AppError.unavailable('auth');
      }
      if (err instanceof errors.JOSEError) throw unauthorized();
      if (err instanceof SyntaxError || err instanceof TypeError) throw unauthorized();
      this.logger.warn(`Token verification failed: ${(err as Error).message}`);
      throw unauthorized();
    }
    if (typeof payload.sub !== 'string' || !SUBJECT.test(payload.sub)) throw unauthorized();
    if (this.o.authorizedParties.length && (typeof payload.azp !== 'string' || !this.o.authorizedParties.includes(payload.azp))) throw unauthorized();
    return claimsFromPayload(payload);
  }
}
