import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import {
  AppError,
  type ApplyWebhookReply,
  type AuthContext,
  type PaginatedResponse,
  type RateLimitReserveReply,
  type ResolveUserReply,
  type UserDetail,
  type UserPermissions,
  UsersEvents,
  UsersSubjects,
  type UserSummary,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { createTestInfra, type RunningService, startService, type TestInfra } from '@vgp/testing';
import { AppModule } from '../app.module.js';
import { UsersConfig } from '../users.config.js';

describe('users service over NATS (real PostgreSQL and NATS)', () => {
  let infra: TestInfra;
  let svc: RunningService<UsersConfig>;
  let nc: NatsConnection;
  let client: NatsClient;
  let admin: AuthContext;
  const events: string[] = [];

  const resolve = (claims: Record<string, unknown>) => client.request<ResolveUserReply>(UsersSubjects.resolve, { claims });
  const errorOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return err instanceof AppError ? `${err.status} ${err.code}` : String(err);
    }
  };
  const apply = (type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    client.request<ApplyWebhookReply>(UsersSubjects.applyWebhook, { svix_id: `msg_${type}_${Math.random()}`, type, data, ...extra });
  const withDb = async <T>(run: (db: pg.Client) => Promise<T>): Promise<T> => {
    const db = new pg.Client({ connectionString: infra.databaseUrl });
    await db.connect();
    try {
      return await run(db);
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    infra = await createTestInfra('users');
    svc = await startService({ module: AppModule, config: UsersConfig, service: 'users', env: infra.env });
    nc = await connect({ servers: infra.natsUrl });
    client = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 3000 });
    client.subscribe<{ user_id: string }>(UsersEvents.updated, (e) => events.push(e.user_id));
    admin = (await resolve({ sub: 'root', role: 'admin', name: 'Root' })).context;
  });

  afterAll(async () => {
    await nc?.close();
    await svc?.close();
    await infra?.cleanup();
  });

  it('creates a user on first sight from the claims, with the role of the token as a seed only', async () => {
    const first = await resolve({ sub: 'user_ada', role: 'moderator', name: 'Ada Lovelace', email: 'ada@example.com', image_url: 'https://img/ada.png', email_verified: true, username: 'ada' });
    expect(first.profile).toMatchObject({ id: 'user_ada', full_name: 'Ada Lovelace', email: 'ada@example.com', image_url: 'https://img/ada.png', email_verified: true, username: 'ada' });
    expect(first.profile.last_sign_in_at).toEqual(expect.any(String));
    expect(first.context).toMatchObject({ user_id: 'user_ada', role: 'moderator', status: 'active', permissions: { can_view_all_jobs: true, max_concurrent_jobs: 5 } });
    // A later token claiming admin does not make the stored user an admin; the profile follows the token.
    const again = await resolve({ sub: 'user_ada', role: 'admin', name: 'Ada King', email_verified: true });
    expect(again.context.role).toBe('moderator');
    expect(again.profile).toMatchObject({ full_name: 'Ada King', email: 'ada@example.com', created_at: first.profile.created_at });
  });

  it('starts an unverified email as pending_verification and activates it once verified', async () => {
    expect((await resolve({ sub: 'user_pending', email: 'p@example.com', email_verified: false })).context.status).toBe('pending_verification');
    expect((await resolve({ sub: 'user_pending', email_verified: true })).context.status).toBe('active');
    expect((await resolve({ sub: 'user_noname' })).profile.full_name).toBe('user_noname');
  });

  it('writes nothing when a repeated sign-in changes nothing, and stamps last_sign_in_at every 5 minutes', async () => {
    const db = new pg.Client({ connectionString: infra.databaseUrl });
    await db.connect();
    try {
      const version = async () => (await db.query(`SELECT xmin::text AS v, last_sign_in_at FROM users.users WHERE id = 'user_steady'`)).rows[0];
      const claims = { sub: 'user_steady', name: 'Steady', email: 'steady@example.com', email_verified: true };
      const first = await resolve(claims);
      const v1 = await version();
      // The same claims, or fewer: the same stored row version (no update, no WAL, no commit flush).
      expect(await resolve(claims)).toEqual(first);
      expect(await resolve({ sub: 'user_steady' })).toEqual(first);
      expect((await version()).v).toBe(v1.v);
      // A changed claim is stored at once.
      expect((await resolve({ ...claims, name: 'Steady Eddie' })).profile.full_name).toBe('Steady Eddie');
      const v2 = await version();
      expect(v2.v).not.toBe(v1.v);
      // A last sign-in older than 5 minutes is stamped again.
      await db.query(`UPDATE users.users SET last_sign_in_at = now() - interval '6 minutes' WHERE id = 'user_steady'`);
      const stale = (await version()).last_sign_in_at as Date;
      const again = await resolve({ ...claims, name: 'Steady Eddie' });
      expect(Date.parse(again.profile.last_sign_in_at as string)).toBeGreaterThan(stale.getTime() + 5 * 60_000);
    } finally {
      await db.end();
    }
  });

  it('answers many resolves of one message each with its own user, new and known alike', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `user_many_${i}`);
    const batch = (name: (id: string) => string) =>
      Promise.all(ids.map((id) => client.requestBatched<ResolveUserReply>(UsersSubjects.resolve, { claims: { sub: id, name: name(id), email_verified: true } })));
    // Half are known before the message arrives, half are new.
    await Promise.all(ids.slice(0, 20).map((id) => resolve({ sub: id, name: `Old ${id}`, email_verified: true })));
    const first = await batch((id) => `Old ${id}`);
    expect(first.map((r) => [r.context.user_id, r.profile.full_name])).toEqual(ids.map((id) => [id, `Old ${id}`]));
    const renamed = await batch((id) => `New ${id}`);
    expect(renamed.map((r) => [r.profile.id, r.profile.full_name])).toEqual(ids.map((id) => [id, `New ${id}`]));
  });

  it('refuses claims without a usable subject', async () => {
    expect(await errorOf(resolve({ sub: '../x' }))).toBe('401 UNAUTHORIZED');
    expect(await errorOf(resolve({}))).toBe('401 UNAUTHORIZED');
  });

  it('lets admins list and read users, nobody else', async () => {
    const user = (await resolve({ sub: 'user_plain' })).context;
    expect(await errorOf(client.request(UsersSubjects.list, { user, page: 1, items_per_page: 10, sort_order: 'desc' }))).toBe('403 FORBIDDEN');
    expect(await errorOf(client.request(UsersSubjects.get, { user, user_id: 'root' }))).toBe('403 FORBIDDEN');
    const page = await client.request<PaginatedResponse<UserSummary>>(UsersSubjects.list, { user: admin, page: 1, items_per_page: 2, sort_order: 'asc', role: 'user' });
    expect(page.items.every((u) => u.role === 'user')).toBe(true);
    expect(page.pagination).toMatchObject({ page: 1, items_per_page: 2, has_previous: false });
    expect(page.pagination.total_items).toBeGreaterThanOrEqual(3);
    expect(await client.request(UsersSubjects.get, { user: admin, user_id: 'user_ada' })).toMatchObject({ id: 'user_ada', role: 'moderator', status: 'active', permissions: { role: 'moderator' } });
    expect(await errorOf(client.request(UsersSubjects.get, { user: admin, user_id: 'nobody' }))).toBe('404 USER_NOT_FOUND');
  });

  it('changes roles with their defaults, flags and limits on top, and tells every gateway', async () => {
    await resolve({ sub: 'user_bob' });
    events.length = 0;
    const promoted = await client.request(UsersSubjects.updatePermissions, { user: admin, user_id: 'user_bob', changes: { role: 'admin', max_daily_jobs: 7 } });
    expect(promoted).toMatchObject({ user_id: 'user_bob', role: 'admin', can_access_system_metrics: true, max_concurrent_jobs: 10, max_daily_jobs: 7 });
    const flags = await client.request(UsersSubjects.updatePermissions, { user: admin, user_id: 'user_bob', changes: { can_generate_videos: false } });
    expect(flags).toMatchObject({ role: 'admin', can_generate_videos: false, max_daily_jobs: 7 });
    const demoted = await client.request(UsersSubjects.updatePermissions, { user: admin, user_id: 'user_bob', changes: { role: 'user' } });
    expect(demoted).toMatchObject({ role: 'user', can_generate_videos: true, can_access_system_metrics: false, max_daily_jobs: 50 });
    expect((await resolve({ sub: 'user_bob', role: 'admin' })).context.role).toBe('user');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e === 'user_bob')).toHaveLength(3);
    expect(await errorOf(client.request(UsersSubjects.updatePermissions, { user: admin, user_id: 'root', changes: { role: 'user' } }))).toBe('409 CONFLICT');
    expect(await errorOf(client.request(UsersSubjects.updatePermissions, { user: admin, user_id: 'ghost', changes: { role: 'user' } }))).toBe('404 USER_NOT_FOUND');
  });

  it('suspends and reactivates; an admin cannot suspend itself', async () => {
    expect(await client.request(UsersSubjects.updateStatus, { user: admin, user_id: 'user_bob', status: 'suspended' })).toMatchObject({ id: 'user_bob', status: 'suspended' });
    expect((await resolve({ sub: 'user_bob' })).context.status).toBe('suspended');
    expect(await errorOf(client.request(UsersSubjects.updateStatus, { user: admin, user_id: 'user_bob', status: 'pending_verification' }))).toBe('422 VALIDATION_ERROR');
    expect(await errorOf(client.request(UsersSubjects.updateStatus, { user: admin, user_id: 'root', status: 'suspended' }))).toBe('409 CONFLICT');
    await client.request(UsersSubjects.updateStatus, { user: admin, user_id: 'user_bob', status: 'active' });
    expect((await resolve({ sub: 'user_bob' })).context.status).toBe('active');
  });

  it('applies Clerk webhook events: created, updated (never an older one), deleted', async () => {
    const data = (updated_at: number, first_name: string) => ({
      id: 'user_clerk1',
      first_name,
      last_name: 'Hopper',
      username: 'grace',
      image_url: 'https://img/grace.png',
      primary_email_address_id: 'e1',
      email_addresses: [{ id: 'e0', email_address: 'old@example.com' }, { id: 'e1', email_address: 'grace@example.com', verification: { status: 'verified' } }],
      public_metadata: { role: 'moderator' },
      updated_at,
    });
    expect(await client.request(UsersSubjects.applyWebhook, { svix_id: 'm1', type: 'user.created', data: data(1000, 'Grace') })).toEqual({ applied: true, user_id: 'user_clerk1' });
    expect(await client.request(UsersSubjects.get, { user: admin, user_id: 'user_clerk1' })).toMatchObject({ full_name: 'Grace Hopper', email: 'grace@example.com', email_verified: true, role: 'moderator' });
    await client.request(UsersSubjects.applyWebhook, { svix_id: 'm3', type: 'user.updated', data: data(3000, 'Amazing Grace') });
    expect(await client.request(UsersSubjects.applyWebhook, { svix_id: 'm2', type: 'user.updated', data: data(2000, 'Stale') })).toEqual({ applied: false, user_id: 'user_clerk1' });
    expect(await client.request(UsersSubjects.get, { user: admin, user_id: 'user_clerk1' })).toMatchObject({ full_name: 'Amazing Grace Hopper' });
    expect(await client.request(UsersSubjects.applyWebhook, { svix_id: 'm9', type: 'session.created', data: { id: 'sess_1' } })).toEqual({ applied: false });
    // Malformed parts of a (signed) event are skipped, never a 500: a null address, an address
    // that is not text, an updated_at no bigint holds, text far over the column's use.
    const odd = {
      id: 'user_clerk2',
      first_name: 'A'.repeat(5000),
      last_name: 5,
      username: { a: 1 },
      email_addresses: [null, 7, { id: 'e1', email_address: 5 }, { id: 'e2', email_address: ' ada@example.com ' }],
      primary_email_address_id: 'e1',
      public_metadata: 'admin',
    };
    for (const updated_at of [1e308, 1.5, -1, '2026-01-01']) {
      expect(await client.request(UsersSubjects.applyWebhook, { svix_id: `o${updated_at}`, type: 'user.updated', data: { ...odd, updated_at } })).toEqual({ applied: true, user_id: 'user_clerk2' });
    }
    expect(await client.request(UsersSubjects.get, { user: admin, user_id: 'user_clerk2' })).toMatchObject({ full_name: 'A'.repeat(200), email: 'ada@example.com', role: 'user' });
    expect(await client.request(UsersSubjects.applyWebhook, { svix_id: 'm4', type: 'user.deleted', data: { id: 'user_clerk1', deleted: true } })).toEqual({ applied: true, user_id: 'user_clerk1' });
    const gone = await client.request<UserSummary>(UsersSubjects.get, { user: admin, user_id: 'user_clerk1' });
    expect(gone).toMatchObject({ status: 'inactive', full_name: 'Deleted user' });
    expect(gone.email).toBeUndefined();
    // A token still in flight does not bring the profile or the account back.
    expect((await resolve({ sub: 'user_clerk1', name: 'Grace', email: 'grace@example.com' })).context.status).toBe('inactive');
    expect(await client.request(UsersSubjects.get, { user: admin, user_id: 'user_clerk1' })).toMatchObject({ full_name: 'Deleted user', status: 'inactive' });
  });

  it('keeps a deletion that arrives before the creation: a tombstone that no retried event, token or admin brings back', async () => {
    const id = 'user_gone_early';
    const stored = (db: pg.Client, user = id) =>
      db.query(`SELECT status, deleted_at, username, full_name, email, image_url, clerk_updated_at::float8 AS clerk FROM users.users WHERE id = $1`, [user]).then((r) => r.rows[0]);
    const profile = (updated_at: number) => ({
      id,
      first_name: 'Early',
      last_name: 'Bird',
      username: 'early',
      image_url: 'https://img/early.png',
      primary_email_address_id: 'e1',
      email_addresses: [{ id: 'e1', email_address: 'early@example.com', verification: { status: 'verified' } }],
      updated_at,
    });
    await withDb(async (db) => {
      // `user.created` failed (503) and waits for Svix's retry; the deletion is delivered first.
      const before = Date.now();
      expect(await apply('user.deleted', { id, object: 'user', deleted: true })).toEqual({ applied: true, user_id: id });
      const stone = await stored(db);
      expect(stone).toMatchObject({ status: 'inactive', username: null, full_name: 'Deleted user', email: null, image_url: null });
      expect(stone.deleted_at).toBeInstanceOf(Date);
      expect(stone.clerk).toBeGreaterThanOrEqual(before - 5_000);
      // The retried creation, and an update stamped after the deletion (a clock ahead): neither applies.
      expect(await apply('user.created', profile(before - 60_000))).toEqual({ applied: false, user_id: id });
      expect(await apply('user.updated', profile(Date.now() + 3_600_000))).toEqual({ applied: false, user_id: id });
      expect(await stored(db)).toMatchObject({ status: 'inactive', username: null, full_name: 'Deleted user', email: null, image_url: null, clerk: stone.clerk });
      // A token of the user still in flight: inactive, and none of the token's personal data kept.
      const signedIn = await resolve({ sub: id, name: 'Early Bird', email: 'early@example.com', image_url: 'https://img/early.png', email_verified: true, username: 'early' });
      expect(signedIn.context.status).toBe('inactive');
      expect(signedIn.profile).toEqual({ id, full_name: 'Deleted user', email_verified: false, created_at: expect.any(String) });
      expect(await stored(db)).toMatchObject({ status: 'inactive', email: null, username: null });
      // Nor can an admin make the deleted account active again.
      expect(await errorOf(client.request(UsersSubjects.updateStatus, { user: admin, user_id: id, status: 'active' }))).toBe('409 CONFLICT');
      expect(await client.request(UsersSubjects.get, { user: admin, user_id: id })).toMatchObject({ status: 'inactive', full_name: 'Deleted user' });
      // The event's own time (Clerk's `timestamp`), when given, is the tombstone's Clerk time.
      expect(await apply('user.deleted', { id: 'user_gone_stamped', deleted: true }, { timestamp: 1_700_000_000_000 })).toEqual({ applied: true, user_id: 'user_gone_stamped' });
      expect(await stored(db, 'user_gone_stamped')).toMatchObject({ status: 'inactive', clerk: 1_700_000_000_000 });
    });
  });

  it('applies concurrent Clerk updates in their order: an older one that writes last changes nothing', async () => {
    const id = 'user_race';
    const data = (updated_at: number, first_name: string) => ({ id, first_name, last_name: 'Racer', updated_at });
    expect(await apply('user.created', data(1000, 'First'))).toEqual({ applied: true, user_id: id });
    await withDb(async (db) => {
      // Both replicas have read the stored Clerk time (1000) and now write: the row lock held here makes
      // the newer event write first and the older one last.
      const waiting = (n: number) =>
        withDb(async (watch) => {
          for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
            const { rows } = await watch.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO users.users AS u%'`,
            );
            if (rows[0].n >= n) return;
          }
          throw new Error(`${n} profile writes never waited for the row lock`);
        });
      await db.query('BEGIN');
      let locked = true;
      try {
        await db.query(`SELECT 1 FROM users.users WHERE id = $1 FOR UPDATE`, [id]);
        const newer = apply('user.updated', data(3000, 'Newer'));
        await waiting(1);
        const older = apply('user.updated', data(2000, 'Older'));
        await waiting(2);
        await db.query('COMMIT');
        locked = false;
        expect(await newer).toEqual({ applied: true, user_id: id });
        expect(await older).toEqual({ applied: false, user_id: id });
      } finally {
        if (locked) await db.query('ROLLBACK');
      }
      const row = (await db.query(`SELECT full_name, clerk_updated_at::float8 AS clerk FROM users.users WHERE id = $1`, [id])).rows[0];
      expect(row).toEqual({ full_name: 'Newer Racer', clerk: 3000 });
    });
  });

  it('keeps customised flags, limits and permissions when the role given is the current one', async () => {
    const id = 'user_carol';
    await resolve({ sub: id });
    const update = (changes: Record<string, unknown>) => client.request<UserPermissions>(UsersSubjects.updatePermissions, { user: admin, user_id: id, changes });
    await update({ role: 'moderator' });
    await update({ can_access_premium_features: true, can_cancel_any_job: false, max_daily_jobs: 321, permissions: ['videos:generate', 'jobs:view_all', 'premium'] });
    const customised = { user_id: id, role: 'moderator', permissions: ['videos:generate', 'jobs:view_all', 'premium'], can_generate_videos: true, can_upload_files: false, can_access_premium_features: true, can_view_all_jobs: true, can_cancel_any_job: false, can_access_system_metrics: false, max_concurrent_jobs: 5, max_daily_jobs: 321, max_file_size_mb: 200 };
    // The same role again (a form that sends every field): nothing is reset; what is given applies.
    expect(await update({ role: 'moderator' })).toEqual(customised);
    expect(await update({ role: 'moderator', max_concurrent_jobs: 2 })).toEqual({ ...customised, max_concurrent_jobs: 2 });
    // A new role brings its defaults, with the fields of the same request on top.
    expect(await update({ role: 'user', max_daily_jobs: 7 })).toEqual({
      user_id: id, role: 'user', permissions: ['videos:generate', 'files:upload'], can_generate_videos: true, can_upload_files: true, can_access_premium_features: false,
      can_view_all_jobs: false, can_cancel_any_job: false, can_access_system_metrics: false, max_concurrent_jobs: 3, max_daily_jobs: 7, max_file_size_mb: 100,
    });
  });

  it('keeps the permissions list and the flags in step, and refuses unknown names and contradictions', async () => {
    const id = 'user_dave';
    await resolve({ sub: id });
    const update = (changes: Record<string, unknown>) => client.request<UserPermissions>(UsersSubjects.updatePermissions, { user: admin, user_id: id, changes });
    const rights = (p: UserPermissions) => [p.permissions, p.can_generate_videos, p.can_upload_files, p.can_view_all_jobs, p.can_cancel_any_job, p.can_access_system_metrics, p.can_access_premium_features];
    await update({ role: 'moderator' });
    // A flag changes its name in the list.
    expect(rights(await update({ can_view_all_jobs: false, can_cancel_any_job: false }))).toEqual([['videos:generate', 'files:upload'], true, true, false, false, false, false]);
    expect(rights(await update({ can_access_system_metrics: true }))).toEqual([['videos:generate', 'files:upload', 'system:metrics'], true, true, false, false, true, false]);
    // The list sets every flag (canonical order, duplicates dropped), users:manage included.
    expect(rights(await update({ permissions: ['premium', 'jobs:view_all', 'videos:generate', 'premium'] }))).toEqual([['videos:generate', 'jobs:view_all', 'premium'], true, false, true, false, false, true]);
    // A list and flags given together that agree.
    expect(rights(await update({ permissions: ['files:upload'], can_upload_files: true, can_generate_videos: false }))).toEqual([['files:upload'], false, true, false, false, false, false]);
    // What is stored is what is read, and it is what the gateway gets for the user.
    const detail = await client.request<UserDetail>(UsersSubjects.get, { user: admin, user_id: id });
    expect(rights(detail.permissions)).toEqual([['files:upload'], false, true, false, false, false, false]);
    expect(rights((await resolve({ sub: id })).context.permissions)).toEqual([['files:upload'], false, true, false, false, false, false]);
    // A list and a flag that say different things, unknown names, anything but strings: 422 naming the field, nothing changed.
    const refusal = (changes: Record<string, unknown>) =>
      update(changes).then(
        () => 'ok',
        (err: AppError) => `${err.status} ${err.code} ${err.field_errors?.map((f) => `${f.field}:${f.code}`).join(',')}`,
      );
    expect(await refusal({ permissions: ['files:upload'], can_view_all_jobs: true })).toBe('422 VALIDATION_ERROR can_view_all_jobs:INVALID_VALUE');
    expect(await refusal({ permissions: ['files:upload', 'system:metrics'], can_access_system_metrics: false, can_upload_files: false })).toBe(
      '422 VALIDATION_ERROR can_upload_files:INVALID_VALUE,can_access_system_metrics:INVALID_VALUE',
    );
    expect(await refusal({ permissions: ['files:upload', 'beta'] })).toBe('422 VALIDATION_ERROR permissions:INVALID_ENUM');
    expect(await refusal({ permissions: ['😀'] })).toBe('422 VALIDATION_ERROR permissions:INVALID_ENUM');
    expect(await refusal({ permissions: [' '] })).toBe('422 VALIDATION_ERROR permissions:INVALID_ENUM');
    expect(await refusal({ permissions: [1] })).toBe('422 VALIDATION_ERROR permissions:INVALID_TYPE');
    expect(await refusal({ permissions: 'premium' })).toBe('422 VALIDATION_ERROR permissions:INVALID_TYPE');
    expect(rights((await client.request<UserDetail>(UsersSubjects.get, { user: admin, user_id: id })).permissions)).toEqual([['files:upload'], false, true, false, false, false, false]);
    // users:manage has no flag: the list grants it, a flag change keeps it, a list without it withdraws it.
    const manager = await update({ permissions: ['users:manage', 'videos:generate'] });
    expect(manager.permissions).toEqual(['videos:generate', 'users:manage']);
    expect((await update({ can_access_premium_features: true })).permissions).toEqual(['videos:generate', 'users:manage', 'premium']);
    expect((await update({ permissions: ['videos:generate'] })).permissions).toEqual(['videos:generate']);
  });

  it('reads stored rows whose list and flags disagree as the flags say (users:manage kept)', async () => {
    const id = 'user_legacy';
    await resolve({ sub: id });
    await withDb((db) =>
      db.query(`UPDATE users.users SET permissions = $2, can_view_all_jobs = true, can_access_system_metrics = false WHERE id = $1`, [id, ['videos:generate', 'system:metrics', 'users:manage', '😀']]),
    );
    const want = { permissions: ['videos:generate', 'files:upload', 'jobs:view_all', 'users:manage'], can_view_all_jobs: true, can_access_system_metrics: false };
    expect((await client.request<UserDetail>(UsersSubjects.get, { user: admin, user_id: id })).permissions).toMatchObject(want);
    expect((await resolve({ sub: id })).context.permissions).toMatchObject(want);
    // The next change stores the list the flags describe.
    const update = (changes: Record<string, unknown>) => client.request<UserPermissions>(UsersSubjects.updatePermissions, { user: admin, user_id: id, changes });
    await update({ max_daily_jobs: 9 });
    expect((await withDb((db) => db.query(`SELECT permissions FROM users.users WHERE id = $1`, [id]))).rows[0].permissions).toEqual(want.permissions);
    // No extra manager of users for the tests that count the administrators.
    expect((await update({ permissions: ['videos:generate'] })).permissions).toEqual(['videos:generate']);
  });

  it('never lets the last active administrator be demoted or suspended, even by two admins at once', async () => {
    const [a, b] = (await Promise.all(['admin_a', 'admin_b'].map((sub) => resolve({ sub, role: 'admin', email_verified: true })))).map((r) => r.context);
    const perms = (caller: AuthContext, target: AuthContext, changes: Record<string, unknown>) =>
      client.request<UserPermissions>(UsersSubjects.updatePermissions, { user: caller, user_id: target.user_id, changes });
    const status = (caller: AuthContext, target: AuthContext, s: string) => client.request<UserDetail>(UsersSubjects.updateStatus, { user: caller, user_id: target.user_id, status: s });
    const activeAdmins = async () =>
      (await client.request<PaginatedResponse<UserSummary>>(UsersSubjects.list, { user: a, page: 1, items_per_page: 100, sort_order: 'asc', role: 'admin', status: 'active' })).items.map((u) => u.id);
    // Set every other admin aside: these two are the only active ones.
    const others = (await activeAdmins()).filter((id) => id !== a.user_id && id !== b.user_id);
    expect(others).toContain('root');
    for (const id of others) await status(a, { ...a, user_id: id }, 'suspended');
    try {
      const races: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
        ['demote each other', () => perms(a, b, { role: 'user' }), () => perms(b, a, { role: 'moderator' })],
        ['suspend each other', () => status(a, b, 'suspended'), () => status(b, a, 'inactive')],
        ['one withdraws users:manage, the other suspends', () => perms(a, b, { role: 'moderator', permissions: ['jobs:view_all'] }), () => status(b, a, 'suspended')],
      ];
      for (const [what, ab, ba] of races) {
        const outcomes = await Promise.all([errorOf(ab()), errorOf(ba())]);
        expect([what, [...outcomes].sort()]).toEqual([what, ['409 CONFLICT', 'ok']]);
        const left = await activeAdmins();
        expect([what, left.length]).toEqual([what, 1]);
        // The survivor restores the other.
        const [survivor, other] = left[0] === a.user_id ? [a, b] : [b, a];
        await perms(survivor, other, { role: 'admin' });
        await status(survivor, other, 'active');
        expect((await activeAdmins()).sort()).toEqual([a.user_id, b.user_id]);
      }
      // One after the other: b, demoted, still carries an admin context (a gateway's cache).
      await perms(a, b, { role: 'user' });
      const refused = await perms(b, a, { role: 'user' }).catch((err: AppError) => err);
      expect(refused).toBeInstanceOf(AppError);
      expect([(refused as AppError).status, (refused as AppError).code, (refused as AppError).message]).toEqual([409, 'CONFLICT', expect.stringContaining('last active administrator')]);
      expect(await errorOf(status(b, a, 'suspended'))).toBe('409 CONFLICT');
      // Nor can that stale context change anything else.
      expect(await errorOf(perms(b, b, { role: 'admin' }))).toBe('403 FORBIDDEN');
      expect(await errorOf(status(b, { ...b, user_id: 'user_plain' }, 'suspended'))).toBe('403 FORBIDDEN');
      expect(await activeAdmins()).toEqual([a.user_id]);
    } finally {
      for (const id of others) await status(a, { ...a, user_id: id }, 'active');
    }
    expect(await activeAdmins()).toEqual(expect.arrayContaining(['root', 'admin_a']));
  });

  it('never grants more than the limit of a window, however many replicas reserve at once', async () => {
    const window_start = Date.now();
    const grants = await Promise.all(
      Array.from({ length: 40 }, () => client.request<RateLimitReserveReply>(UsersSubjects.reserveRateLimit, { key: 'u:burst', window_start, window_seconds: 60, n: 3, limit: 100 })),
    );
    expect(grants.reduce((s, g) => s + g.granted, 0)).toBe(100);
    expect(grants.every((g) => g.used <= 120)).toBe(true);
    const other = await client.request<RateLimitReserveReply>(UsersSubjects.reserveRateLimit, { key: 'u:burst', window_start: window_start + 60_000, window_seconds: 60, n: 5, limit: 100 });
    expect(other).toEqual({ granted: 5, used: 5 });
    expect(await errorOf(client.request(UsersSubjects.reserveRateLimit, { key: 'u:x', window_start, window_seconds: 60, n: 0, limit: 1 }))).toBe('422 VALIDATION_ERROR');
  });

  it('answers batched reservations as if they had run one after another, in order', async () => {
    const window_start = Date.now();
    const reserve = (key: string, n: number, limit: number, start = window_start) =>
      client.requestBatched<RateLimitReserveReply>(UsersSubjects.reserveRateLimit, { key, window_start: start, window_seconds: 60, n, limit });
    // One message: the same key several times (one row, summed), other keys, another window, and a bad item.
    const replies = await Promise.allSettled([
      reserve('u:batch-a', 4, 10),
      reserve('u:batch-b', 2, 10),
      reserve('u:batch-a', 4, 10),
      reserve('u:batch-a', 4, 10),
      reserve('u:batch-a', 1, 10, window_start + 60_000),
      reserve('u:batch-c', 0, 10),
      reserve('u:batch-a', 4, 10),
    ]);
    expect(replies.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual([
      { granted: 4, used: 4 },
      { granted: 2, used: 2 },
      { granted: 4, used: 8 },
      { granted: 2, used: 10 },
      { granted: 1, used: 1 },
      'rejected',
      // Asked-for beyond the limit still counts as used (the same as one request at a time).
      { granted: 0, used: 12 },
    ]);
    // The next message continues from the stored counts.
    expect(await reserve('u:batch-b', 9, 10)).toEqual({ granted: 8, used: 10 });
    // Many keys at once, from two clients racing: every key's grants still add up to its limit.
    const keys = Array.from({ length: 300 }, (_, i) => `u:many-${i}`);
    const other = new NatsClient(nc, { subjectPrefix: infra.subjectPrefix, timeoutMs: 3000 });
    const grants = await Promise.all(
      [client, other].flatMap((c) => keys.flatMap((key) => [1, 2, 3].map(() => c.requestBatched<RateLimitReserveReply>(UsersSubjects.reserveRateLimit, { key, window_start, window_seconds: 60, n: 2, limit: 5 }).then((r) => [key, r.granted] as const)))),
    );
    const total = new Map<string, number>();
    for (const [key, g] of grants) total.set(key, (total.get(key) ?? 0) + g);
    expect([...new Set(total.values())]).toEqual([5]);
  });
});
