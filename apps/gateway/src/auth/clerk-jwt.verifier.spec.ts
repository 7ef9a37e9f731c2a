import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '@vgp/contracts';
import { ensureLocalSigningKey, hostileTokens, LOCAL_ISSUER, LOCAL_JWKS_PATH, mintToken } from '@vgp/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ClerkJwtVerifier } from './clerk-jwt.verifier.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? `${err.status} ${err.code}` : `non-AppError ${String(err)}`;
  }
};

describe('ClerkJwtVerifier against a local JWKS file', () => {
  const verifier = () => new ClerkJwtVerifier({ issuer: LOCAL_ISSUER, jwksPath: LOCAL_JWKS_PATH, authorizedParties: [], clockSkewSeconds: 5 });

  it('accepts a minted token and reads the Clerk claims', async () => {
    const claims = await verifier().verify(await mintToken('user_abc', 'moderator', { claims: { name: 'Ada L', image_url: 'https://img.example/a.png' } }));
    expect(claims).toMatchObject({ sub: 'user_abc', role: 'moderator', name: 'Ada L', email: 'user_abc@example.test', email_verified: true, image_url: 'https://img.example/a.png' });
  });

  it('reads the role from public metadata or a top-level claim, and ignores unknown roles', async () => {
    const v = verifier();
    expect((await v.verify(await mintToken('u1', undefined, { claims: { public_metadata: { role: 'admin' } } }))).role).toBe('admin');
    expect((await v.verify(await mintToken('u2', undefined, { claims: { role: 'moderator' } }))).role).toBe('moderator');
    expect((await v.verify(await mintToken('u3', undefined, { claims: { metadata: { role: 'root' } } }))).role).toBeUndefined();
  });

  it('refuses expired tokens with TOKEN_EXPIRED and every hostile token with UNAUTHORIZED', async () => {
    const t = await hostileTokens('victim');
    const v = verifier();
    const got = Object.fromEntries(await Promise.all(Object.entries(t).map(async ([k, tok]) => [k, await codeOf(v.verify(tok))])));
    expect(got).toEqual({
      other_key: '401 UNAUTHORIZED',
      expired: '401 TOKEN_EXPIRED',
      alg_none: '401 UNAUTHORIZED',
      hs256_public_pem: '401 UNAUTHORIZED',
      hs256_public_jwk: '401 UNAUTHORIZED',
      other_issuer: '401 UNAUTHORIZED',
      not_yet_valid: '401 UNAUTHORIZED',
      garbage: '401 UNAUTHORIZED',
    });
  });

  it('tolerates the configured clock skew, no more', async () => {
    const v = verifier();
    expect(await codeOf(v.verify(await mintToken('skew', 'user', { expiresIn: -3 })))).toBe('ok');
    expect(await codeOf(v.verify(await mintToken('skew', 'user', { expiresIn: -30 })))).toBe('401 TOKEN_EXPIRED');
  });

  it('drops NUL characters from profile claims (PostgreSQL cannot store them), and refuses a subject holding one', async () => {
    const v = verifier();
    const claims = await v.verify(await mintToken('user_nul', 'user', { claims: { name: 'Ada\0 L', email: '\0a@example.com', username: '\0', image_url: 'https://img.example/\0a.png' } }));
    expect(claims).toMatchObject({ sub: 'user_nul', name: 'Ada L', email: 'a@example.com', username: undefined, image_url: 'https://img.example/a.png' });
    expect(await codeOf(v.verify(await mintToken('x', 'user', { claims: { sub: 'a\0b' } })))).toBe('401 UNAUTHORIZED');
  });

  it('refuses a subject that is not an id and a token without exp', async () => {
    const v = verifier();
    expect(await codeOf(v.verify(await mintToken('x', 'user', { claims: { sub: '../../etc' } })))).toBe('401 UNAUTHORIZED');
    expect(await codeOf(v.verify(await mintToken('x', 'user', { claims: { exp: undefined } })))).toBe('401 UNAUTHORIZED');
  });

  it('checks azp against the authorized parties when they are configured', async () => {
    const v = new ClerkJwtVerifier({ issuer: LOCAL_ISSUER, jwksPath: LOCAL_JWKS_PATH, authorizedParties: ['https://app.example.com'], clockSkewSeconds: 5 });
    expect(await codeOf(v.verify(await mintToken('p', 'user', { azp: 'https://app.example.com' })))).toBe('ok');
    expect(await codeOf(v.verify(await mintToken('p', 'user', { azp: 'https://evil.example.com' })))).toBe('401 UNAUTHORIZED');
    expect(await codeOf(v.verify(await mintToken('p', 'user', { claims: { azp: undefined } })))).toBe('401 UNAUTHORIZED');
  });
});

describe('ClerkJwtVerifier against a remote JWKS', () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  let jwks: { keys: object[] } = { keys: [] };
  const keys: Array<{ kid: string; privateKey: PrivateKey }> = [];
  let dir: string;

  const addKey = async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `k${keys.length}`;
    keys.push({ kid, privateKey });
    jwks = { keys: [...jwks.keys, { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  };
  const sign = (kid: string, key: PrivateKey, iss = 'https://clerk.remote.test') =>
    new SignJWT({ sub: 'user_remote' }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(iss).setIssuedAt().setExpirationTime('5m').sign(key);

  beforeAll(async () => {
    await ensureLocalSigningKey();
    dir = await mkdtemp(join(tmpdir(), 'jwks-'));
    await addKey();
    server = createServer((req, res) => {
      fetches++;
      if (req.url === '/broken') {
        res.statusCode = 502;
        return res.end('<html>Bad gateway</html>');
      }
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/not-a-key-set' ? '<html>' : req.url === '/no-keys' ? '{"keys":"none"}' : JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches the key set once, and again when a token names a kid it does not know (rotation)', async () => {
    const strangerToken = await sign('nope', (await generateKeyPair('RS256')).privateKey);
    const v = new ClerkJwtVerifier({ issuer: 'https://clerk.remote.test', jwksUrl: `${url}/.well-known/jwks.json`, authorizedParties: [], clockSkewSeconds: 5, jwksCooldownMs: 1000 });
    expect((await v.verify(await sign(keys[0].kid, keys[0].privateKey))).sub).toBe('user_remote');
    expect((await v.verify(await sign(keys[0].kid, keys[0].privateKey))).sub).toBe('user_remote');
    expect(fetches).toBe(1);
    await addKey();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await v.verify(await sign(keys[1].kid, keys[1].privateKey))).sub).toBe('user_remote');
    expect(fetches).toBe(2);
    // An unknown kid right after a refetch does not hammer the JWKS endpoint.
    expect(await codeOf(v.verify(strangerToken))).toBe('401 UNAUTHORIZED');
    expect(fetches).toBe(2);
  });

  it('answers 503, not 401, while the key set cannot be had (an error status, a body that is no key set, no server)', async () => {
    const token = await sign(keys[0].kid, keys[0].privateKey);
    for (const path of ['/broken', '/not-a-key-set', '/no-keys']) {
      const v = new ClerkJwtVerifier({ issuer: 'https://clerk.remote.test', jwksUrl: `${url}${path}`, authorizedParties: [], clockSkewSeconds: 5 });
      expect([path, await codeOf(v.verify(token))]).toEqual([path, '503 SERVICE_UNAVAILABLE']);
    }
    const down = new ClerkJwtVerifier({ issuer: 'https://clerk.remote.test', jwksUrl: 'http://127.0.0.1:1/jwks', authorizedParties: [], clockSkewSeconds: 5 });
    expect(await codeOf(down.verify(token))).toBe('503 SERVICE_UNAVAILABLE');
  });

  it('reports its key set for /system/health, and fails when it cannot be fetched', async () => {
    const ok = new ClerkJwtVerifier({ issuer: 'https://clerk.remote.test', jwksUrl: `${url}/jwks`, authorizedParties: [], clockSkewSeconds: 5 });
    expect(await ok.health()).toMatchObject({ jwks: 'remote', keys: expect.any(Number) });
    const local = new ClerkJwtVerifier({ issuer: LOCAL_ISSUER, jwksPath: LOCAL_JWKS_PATH, authorizedParties: [], clockSkewSeconds: 5 });
    expect(await local.health()).toMatchObject({ jwks: 'local file', keys: 1 });
    const down = new ClerkJwtVerifier({ issuer: 'https://clerk.remote.test', jwksUrl: 'http://127.0.0.1:1/jwks', authorizedParties: [], clockSkewSeconds: 5 });
    await expect(down.health()).rejects.toThrow();
  });

  it('re-reads a local JWKS file when a token names a new kid', async () => {
    const path = join(dir, 'jwks.json');
    await writeFile(path, JSON.stringify({ keys: [jwks.keys[0]] }));
    const v = new ClerkJwtVerifier({ issuer: 'https://clerk.remote.test', jwksPath: path, authorizedParties: [], clockSkewSeconds: 5 });
    expect(await codeOf(v.verify(await sign(keys[0].kid, keys[0].privateKey)))).toBe('ok');
    await writeFile(path, JSON.stringify(jwks));
    await new Promise((r) => setTimeout(r, 1100));
    expect(await codeOf(v.verify(await sign(keys[1].kid, keys[1].privateKey)))).toBe('ok');
  });
});
