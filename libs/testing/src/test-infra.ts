import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureLocalSigningKey, LOCAL_ISSUER, LOCAL_JWKS_PATH } from './auth-tokens.js';

/** Where the real PostgreSQL and NATS of the test run are (set by `npm test`, defaults for this machine). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestInfra {
  /** A fresh database of its own. */
  databaseUrl: string;
  natsUrl: string;
  /** A subject prefix of its own, so parallel suites never answer each other's requests. */
  subjectPrefix: string;
  storageDir: string;
  /** The environment for apps under test. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A private database, subject namespace and storage directory on the real services. */
export async function createTestInfra(label: string): Promise<TestInfra> {
  const id = `${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const dbName = `vgp_t_${id}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  // The gateway trusts the local JWKS that `tokenFor` signs with.
  await ensureLocalSigningKey();
  const storageDir = await mkdtemp(join(tmpdir(), `vgp-${id}-`));
  const databaseUrl = withDatabase(TEST_DATABASE_URL, dbName);
  const subjectPrefix = `t${id.replace(/_/g, '')}.`;
  return {
    databaseUrl,
    natsUrl: TEST_NATS_URL,
    subjectPrefix,
    storageDir,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: subjectPrefix,
      STORAGE_DIR: storageDir,
      LOG_LEVEL: 'warn',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      CLERK_ISSUER: LOCAL_ISSUER,
      AUTH_LOCAL_JWKS_PATH: LOCAL_JWKS_PATH,
      // A gateway started without the users service builds callers from the token's role.
      AUTH_USERS_OPTIONAL: 'true',
      // Suites poll freely; rate-limit tests set their own limits.
      RATE_LIMIT_ANONYMOUS: '1000000',
      RATE_LIMIT_USER: '1000000',
      RATE_LIMIT_MODERATOR: '1000000',
      RATE_LIMIT_ADMIN: '1000000',
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
      await c.end();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
