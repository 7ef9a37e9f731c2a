import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  AppError,
  type AuthContext,
  ErrorCode,
  type ResolveUserReply,
  ROLE_DEFAULT_PERMISSIONS,
  UserRole,
  UsersSubjects,
  UserStatus,
} from '@vgp/contracts';
import { followUserChanges, NatsClient } from '@vgp/messaging';
import { GatewayConfig } from '../gateway.config.js';
import type { VerifiedClaims } from './token-verifier.js';

interface Entry {
  reply: ResolveUserReply;
  /**
   * The fingerprint of the answer: the claims it was resolved from. A token whose claims differ in
   * what the users service reads (`sameResolveClaims`) is resolved at once, not served this answer.
   */
  claims: VerifiedClaims;
  freshUntil: number;
  staleUntil: number;
}

interface Inflight {
  claims: VerifiedClaims;
  pending: Promise<ResolveUserReply>;
}

/**
 * Whether two verified tokens of one user resolve alike: the claims `users.v1.user.resolve` applies
 * to a known user (verification, name, email, image, username; the role only seeds a new user, and
 * `exp` is no claim about the user). The verifier hands out the same object for the same token, so
 * the common case is the identity test.
 */
export function sameResolveClaims(a: VerifiedClaims, b: VerifiedClaims): boolean {
  return (
    a === b ||
    (a.email_verified === b.email_verified && a.name === b.name && a.email === b.email && a.image_url === b.image_url && a.username === b.username && a.sub === b.sub)
  );
}

/**
 * Whether token `a` was issued no earlier than `b` (`iat`; without it, both count as new). An older
 * token of other claims (another tab's or device's, still in use) says nothing newer than the cached
 * answer, and resolving it would only flip the stored profile back and forth.
 */
const notOlder = (a: VerifiedClaims, b: VerifiedClaims): boolean => (a.iat ?? 0) >= (b.iat ?? 0);

// How long past its freshness an answer may still be served while a refresh runs in the background.
const STALE_MS = 60_000;

/**
 * From verified claims to who is calling: the `users` service creates the profile on first
 * sight and answers the stored role, status and permissions (the token's role only seeds a new
 * user). Answers are fresh for AUTH_CONTEXT_CACHE_MS per user; after that the next request still
 * gets the cached answer (for at most a minute) while a refresh runs, so a slow or briefly absent
 * users service does not stall every request. An answer is kept with the claims it was resolved
 * from: a token whose profile claims differ (a new session token after the email was verified, or
 * the name, email or image changed) is resolved at once, whatever the entry's age; while the users
 * service does not answer, such a token still gets the cached answer until it goes stale.
 * `users.v1.user.updated` evicts an entry on every
 * replica at once, so a suspension or role change applies within moments; after a NATS disconnect
 * (when such events may have been missed) every entry is refreshed at its next use.
 */
@Injectable()
export class AuthContextResolver implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AuthContextResolver');
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Inflight>();
  // Bumped on eviction so an answer that was already on its way is not cached stale.
  private readonly generation = new Map<string, number>();
  // What to do when an account changes: the user's live streams close (see `onAccountChange`).
  private readonly changeListeners = new Map<string, Set<() => void>>();
  private stopFollowing?: () => void;
  private warnedFallback = false;
  private lastRefreshWarn = 0;

  constructor(
    private readonly nats: NatsClient,
    private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    // Every entry is refreshed at its next use after a disconnect (an eviction may have been missed).
    this.stopFollowing = followUserChanges(
      this.nats,
      (userId) => this.evict(userId),
      () => {
        for (const e of this.cache.values()) e.freshUntil = 0;
      },
    );
  }

  onModuleDestroy(): void {
    this.stopFollowing?.();
  }

  /**
   * Forget a user's cached context (also called after this replica changed it). A resolve already
   * on its way may have read the user before the change: its answer is neither cached nor given to
   * the requests that come next. A user this replica had cached (one of its recent callers) is
   * resolved again at once, so its next request finds the new context instead of waiting for it.
   */
  evict(userId: string | undefined): void {
    if (typeof userId !== 'string') return;
    const hit = this.cache.get(userId);
    this.cache.delete(userId);
    this.inflight.delete(userId);
    // Only answers in flight compare generations; the map can be dropped when nothing is cached.
    if (this.generation.size > 100_000 && this.inflight.size === 0) this.generation.clear();
    this.generation.set(userId, (this.generation.get(userId) ?? 0) + 1);
    if (hit && this.config.AUTH_CONTEXT_CACHE_MS > 0) this.refreshInBackground(hit.claims, 'Resolving a changed caller again failed (its next request will)');
    const listeners = this.changeListeners.get(userId);
    if (listeners) {
      for (const listener of [...listeners]) {
        try {
          listener();
        } catch (err) {
          this.logger.warn(`An account-change listener failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /**
   * Runs `listener` when `userId`'s account changes (role, permissions, status, profile: the
   * `users.v1.user.updated` and `.deleted` events, on every replica). A live stream authorised once
   * at its start (SSE, WebSocket) closes then, so a demoted, suspended or deleted user keeps no
   * access it no longer has; its client reconnects and resumes where it was, authorised afresh.
   * Returns the function that removes the listener.
   */
  onAccountChange(userId: string, listener: () => void): () => void {
    let set = this.changeListeners.get(userId);
    if (!set) this.changeListeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.changeListeners.get(userId) === set) this.changeListeners.delete(userId);
    };
  }

  /** The cached context of a user (fresh or not), without waiting. */
  peek(userId: string): AuthContext | undefined {
    const hit = this.cache.get(userId);
    return hit && hit.staleUntil > Date.now() ? hit.reply.context : undefined;
  }

  async resolve(claims: VerifiedClaims, requestId?: string): Promise<AuthContext> {
    return (await this.resolveWithProfile(claims, requestId)).context;
  }

  /** The caller's context and profile, from the cache or the users service. */
  async resolveWithProfile(claims: VerifiedClaims, requestId?: string): Promise<ResolveUserReply> {
    const hit = this.cache.get(claims.sub);
    const now = Date.now();
    if (hit && hit.claims !== claims) {
      // Another token of the user (the common path is the same token: the verifier's own object).
      if (!sameResolveClaims(hit.claims, claims)) {
        if (notOlder(claims, hit.claims)) return this.resolveChanged(hit, claims, requestId);
      } else if (notOlder(claims, hit.claims)) {
        // Alike and newer (the client's next session token): its next request takes the identity test.
        hit.claims = claims;
      }
    }
    if (hit && hit.freshUntil > now) return hit.reply;
    if (hit && hit.staleUntil > now) {
      // With the newest claims seen (an older token of other claims may be what is calling).
      this.refreshInBackground(hit.claims, 'Refreshing cached callers failed (serving them as they were)', requestId);
      return hit.reply;
    }
    return this.refresh(claims, requestId);
  }

  /**
   * A token whose claims differ from those the cached answer was resolved from: resolved now. When
   * the users service fails meanwhile, the cached answer is served as long as it may be (as a
   * refresh that fails would), and the next request tries again.
   */
  private async resolveChanged(hit: Entry, claims: VerifiedClaims, requestId?: string): Promise<ResolveUserReply> {
    try {
      return await this.refresh(claims, requestId);
    } catch (err) {
      if (this.cache.get(claims.sub) !== hit || hit.staleUntil <= Date.now()) throw err;
      return hit.reply;
    }
  }

  /** A refresh nobody waits for; its failures are logged at most every 10 s. */
  private refreshInBackground(claims: VerifiedClaims, failure: string, requestId?: string): void {
    this.refresh(claims, requestId).catch((err: Error) => {
      if (Date.now() - this.lastRefreshWarn < 10_000) return;
      this.lastRefreshWarn = Date.now();
      this.logger.warn(`${failure}: ${err.message}`);
    });
  }

  private refresh(claims: VerifiedClaims, requestId?: string): Promise<ResolveUserReply> {
    const running = this.inflight.get(claims.sub);
    // One resolve per user at a time, unless these claims differ from its own and are newer.
    if (running && (sameResolveClaims(running.claims, claims) || !notOlder(claims, running.claims))) return running.pending;
    // The older claims' answer on its way must not be cached over this one's.
    if (running) this.generation.set(claims.sub, (this.generation.get(claims.sub) ?? 0) + 1);
    const entry: Inflight = { claims, pending: this.fetch(claims, requestId) };
    entry.pending = entry.pending.finally(() => {
      if (this.inflight.get(claims.sub) === entry) this.inflight.delete(claims.sub);
    });
    this.inflight.set(claims.sub, entry);
    return entry.pending;
  }

  private async fetch(claims: VerifiedClaims, requestId?: string): Promise<ResolveUserReply> {
    const gen = this.generation.get(claims.sub) ?? 0;
    let reply: ResolveUserReply;
    try {
      const { exp: _exp, iat: _iat, ...rest } = claims;
      // Resolves of one event-loop turn (first sight and refreshes of many callers) share a message.
      reply = await this.nats.requestBatched<ResolveUserReply>(UsersSubjects.resolve, { claims: rest }, { requestId });
    } catch (err) {
      if (!(this.config.AUTH_USERS_OPTIONAL && err instanceof AppError && err.code === ErrorCode.SERVICE_UNAVAILABLE)) throw err;
      if (!this.warnedFallback) this.logger.warn('The users service does not answer: callers are built from their token (AUTH_USERS_OPTIONAL)');
      this.warnedFallback = true;
      reply = fromClaims(claims);
    }
    if (this.config.AUTH_CONTEXT_CACHE_MS > 0 && (this.generation.get(claims.sub) ?? 0) === gen) {
      if (this.cache.size > 50_000) this.cache.clear();
      const now = Date.now();
      this.cache.set(claims.sub, { reply, claims, freshUntil: now + this.config.AUTH_CONTEXT_CACHE_MS, staleUntil: now + this.config.AUTH_CONTEXT_CACHE_MS + STALE_MS });
    }
    return reply;
  }
}

/** Without the users service (tests only): the token's role defaults, active. */
function fromClaims(claims: VerifiedClaims): ResolveUserReply {
  const role = claims.role ?? UserRole.USER;
  return {
    context: { user_id: claims.sub, role, status: UserStatus.ACTIVE, permissions: { user_id: claims.sub, role, ...ROLE_DEFAULT_PERMISSIONS[role] } },
    profile: {
      id: claims.sub,
      username: claims.username,
      full_name: claims.name ?? claims.username ?? claims.sub,
      email: claims.email,
      image_url: claims.image_url,
      email_verified: claims.email_verified ?? false,
      created_at: new Date().toISOString(),
    },
  };
}
