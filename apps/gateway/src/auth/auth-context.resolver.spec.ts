import { describe, expect, it } from '@jest/globals';
import { AppError, type ResolveClaims, type ResolveUserReply, ROLE_DEFAULT_PERMISSIONS, UserRole, UserStatus } from '@vgp/contracts';
import type { NatsClient } from '@vgp/messaging';
import type { GatewayConfig } from '../gateway.config.js';
import { AuthContextResolver, sameResolveClaims } from './auth-context.resolver.js';
import type { VerifiedClaims } from './token-verifier.js';

/** A users service in memory: what `users.v1.user.resolve` would answer, each resolve counted. */
function fakeUsers() {
  const seen: ResolveClaims[] = [];
  const state = { down: false, delayMs: 0 };
  const users = new Map<string, { status: UserStatus; name: string; email?: string; verified: boolean }>();
  const nats = {
    async requestBatched(_subject: string, payload: { claims: ResolveClaims }): Promise<ResolveUserReply> {
      const c = payload.claims;
      seen.push(c);
      if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
      if (state.down) throw AppError.unavailable('users');
      const u = users.get(c.sub) ?? { status: c.email_verified === false ? UserStatus.PENDING_VERIFICATION : UserStatus.ACTIVE, name: c.sub, verified: false };
      if (c.name) u.name = c.name;
      if (c.email) u.email = c.email;
      if (typeof c.email_verified === 'boolean') u.verified = c.email_verified;
      if (u.status === UserStatus.PENDING_VERIFICATION && c.email_verified === true) u.status = UserStatus.ACTIVE;
      users.set(c.sub, u);
      const role = UserRole.USER;
      return {
        context: { user_id: c.sub, role, status: u.status, permissions: { user_id: c.sub, role, ...ROLE_DEFAULT_PERMISSIONS[role] } },
        profile: { id: c.sub, full_name: u.name, email: u.email, email_verified: u.verified, created_at: '2026-01-01T00:00:00.000Z' },
      };
    },
  } as unknown as NatsClient;
  const config = { AUTH_CONTEXT_CACHE_MS: 30_000, AUTH_USERS_OPTIONAL: false } as GatewayConfig;
  return { resolver: new AuthContextResolver(nats, config), seen, state, users };
}

let iat = 1_800_000_000;
/** A verified token's claims, as the verifier hands them out (one object per token). */
const token = (sub: string, claims: Partial<VerifiedClaims> = {}): VerifiedClaims => ({
  sub,
  name: sub,
  email: `${sub}@example.test`,
  email_verified: true,
  iat: ++iat,
  exp: iat + 60,
  ...claims,
});

describe('AuthContextResolver: the cached caller follows the token claims', () => {
  it('serves the same token from the cache: one resolve', async () => {
    const { resolver, seen } = fakeUsers();
    const t = token('same');
    for (let i = 0; i < 5; i++) expect((await resolver.resolveWithProfile(t)).context.status).toBe('active');
    expect(seen).toHaveLength(1);
  });

  it('resolves at once a new token that says the email is now verified (no 30 s of 403)', async () => {
    const { resolver, seen } = fakeUsers();
    const pending = token('verifies', { email_verified: false });
    expect((await resolver.resolve(pending)).status).toBe('pending_verification');
    expect((await resolver.resolve(pending)).status).toBe('pending_verification');
    const verified = token('verifies', { email_verified: true });
    expect((await resolver.resolve(verified)).status).toBe('active');
    expect(seen.map((c) => c.email_verified)).toEqual([false, true]);
    // The new answer is cached with its claims: the new token is served from the cache again.
    expect((await resolver.resolve(verified)).status).toBe('active');
    expect(seen).toHaveLength(2);
  });

  it('resolves at once a new token whose name, email or image changed', async () => {
    const { resolver, seen } = fakeUsers();
    await resolver.resolveWithProfile(token('profile'));
    expect((await resolver.resolveWithProfile(token('profile', { name: 'Renamed Person' }))).profile.full_name).toBe('Renamed Person');
    expect((await resolver.resolveWithProfile(token('profile', { name: 'Renamed Person', email: 'new@example.test' }))).profile.email).toBe('new@example.test');
    await resolver.resolveWithProfile(token('profile', { name: 'Renamed Person', email: 'new@example.test', image_url: 'https://img.example/p.png' }));
    expect(seen).toHaveLength(4);
  });

  it('does not resolve again for a new token with the same profile claims (a session token refreshed), nor for another role claim', async () => {
    const { resolver, seen } = fakeUsers();
    await resolver.resolve(token('refreshed'));
    await resolver.resolve(token('refreshed'));
    await resolver.resolve(token('refreshed', { role: UserRole.ADMIN }));
    expect(seen).toHaveLength(1);
    expect(sameResolveClaims(token('x'), token('x'))).toBe(true);
    expect(sameResolveClaims(token('x'), token('x', { username: 'x1' }))).toBe(false);
    expect(sameResolveClaims(token('x'), token('y', { name: 'x', email: 'x@example.test' }))).toBe(false);
  });

  it('keeps the newer answer when an older token of other claims is still in use (another tab)', async () => {
    const { resolver, seen } = fakeUsers();
    const old = token('tabs', { email_verified: false });
    const fresh = token('tabs', { email_verified: true });
    await resolver.resolve(old);
    expect((await resolver.resolve(fresh)).status).toBe('active');
    expect((await resolver.resolve(old)).status).toBe('active');
    expect((await resolver.resolve(fresh)).status).toBe('active');
    expect(seen.map((c) => c.email_verified)).toEqual([false, true]);
  });

  it('does not let a slower resolve of the older claims overwrite the newer answer', async () => {
    const { resolver, seen, state } = fakeUsers();
    const old = token('race', { name: 'Old Name' });
    await resolver.resolve(old);
    // The eviction resolves the cached caller again, slowly, with the claims it had.
    state.delayMs = 30;
    resolver.evict('race');
    const first = resolver.resolveWithProfile(old);
    state.delayMs = 0;
    const second = resolver.resolveWithProfile(token('race', { name: 'New Name' }));
    expect((await second).profile.full_name).toBe('New Name');
    await first;
    expect(seen).toHaveLength(3);
    // The cache holds the newer claims' answer.
    expect((await resolver.resolveWithProfile(token('race', { name: 'New Name' }))).profile.full_name).toBe('New Name');
    expect(seen).toHaveLength(3);
  });

  it('resolves a cached caller again as soon as its account changes: its next request finds the new context', async () => {
    const { resolver, seen, users } = fakeUsers();
    const t = token('changed');
    expect((await resolver.resolve(t)).status).toBe('active');
    users.set('changed', { ...(users.get('changed') ?? { name: 'changed', verified: true }), status: UserStatus.SUSPENDED });
    resolver.evict('changed');
    expect(seen).toHaveLength(2);
    await new Promise((r) => setImmediate(r));
    expect(resolver.peek('changed')?.status).toBe('suspended');
    expect((await resolver.resolve(t)).status).toBe('suspended');
    expect(seen).toHaveLength(2);
    // A user this replica had not cached is left to its next request.
    resolver.evict('stranger');
    expect(seen).toHaveLength(2);
  });

  it('does not give the requests after a change the answer of a resolve that began before it', async () => {
    const { resolver, seen, state } = fakeUsers();
    const t = token('inflight');
    state.delayMs = 30;
    const before = resolver.resolve(t);
    resolver.evict('inflight');
    const after = resolver.resolve(t);
    expect(seen).toHaveLength(2);
    await Promise.all([before, after]);
  });

  it('serves the cached answer to a changed token while the users service does not answer, and an error without one', async () => {
    const { resolver, state } = fakeUsers();
    await resolver.resolve(token('outage'));
    state.down = true;
    expect((await resolver.resolve(token('outage', { name: 'Changed' }))).status).toBe('active');
    await expect(resolver.resolve(token('unknown'))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    state.down = false;
    expect((await resolver.resolveWithProfile(token('outage', { name: 'Changed' }))).profile.full_name).toBe('Changed');
  });
});
