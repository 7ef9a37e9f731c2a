import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  AppError,
  type AuthContext,
  ErrorCode,
  type ResolveUserReply,
  ROLE_DEFAULT_PERMISSIONS,
  type UserChangedEvent,
  UserRole,
  UsersEvents,
  UsersSubjects,
  UserStatus,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { GatewayConfig } from '../gateway.config.js';
import type { VerifiedClaims } from './token-verifier.js';

interface Entry {
  reply: ResolveUserReply;
  freshUntil: number;
  staleUntil: number;
}

// How long past its freshness an answer may still be served while a refresh runs in the background.
const STALE_MS = 60_000;

/**
 * From verified claims to who is calling: the `users` service creates the profile on first
 * sight and answers the stored role, status and permissions (the token's role only seeds a new
 * user). Answers are fresh for AUTH_CONTEXT_CACHE_MS per user; after that the next request still
 * gets the cached answer (for at most a minute) while a refresh runs, so a slow or briefly absent
 * users service does not stall every request. `users.v1.user.updated` evicts an entry on every
 * replica at once, so a suspension or role change applies within moments; after a NATS disconnect
 * (when such events may have been missed) every entry is refreshed at its next use.
 */
@Injectable()
export class AuthContextResolver implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AuthContextResolver');
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<ResolveUserReply>>();
  // Bumped on eviction so an answer that was already on its way is not cached stale.
  private readonly generation = new Map<string, number>();
  // What to do when an account changes: the user's live streams close (see `onAccountChange`).
  private readonly changeListeners = new Map<string, Set<() => void>>();
  private subs: Subscription[] = [];
  private closed = false;
  private warnedFallback = false;
  private lastRefreshWarn = 0;

  constructor(
    private readonly nats: NatsClient,
    private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    const evict = (e: UserChangedEvent) => this.evict(e?.user_id);
    this.subs = [this.nats.subscribe<UserChangedEvent>(UsersEvents.updated, evict), this.nats.subscribe<UserChangedEvent>(UsersEvents.deleted, evict)];
    void this.staleOnReconnect();
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const s of this.subs) s.unsubscribe();
  }

  private async staleOnReconnect(): Promise<void> {
    try {
      for await (const s of this.nats.connection.status()) {
        if (this.closed) return;
        if (s.type === 'disconnect' || s.type === 'reconnect') for (const e of this.cache.values()) e.freshUntil = 0;
      }
    } catch (err) {
      this.logger.warn(`NATS status stream ended: ${(err as Error).message}`);
    }
  }

  /** Forget a user's cached context (also called after this replica changed it). */
  evict(userId: string | undefined): void {
    if (typeof userId !== 'string') return;
    this.cache.delete(userId);
    // Only answers in flight compare generations; the map can be dropped when nothing is cached.
    if (this.generation.size > 100_000 && this.inflight.size === 0) this.generation.clear();
    this.generation.set(userId, (this.generation.get(userId) ?? 0) + 1);
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
    if (hit && hit.freshUntil > now) return hit.reply;
    if (hit && hit.staleUntil > now) {
      this.refresh(claims, requestId).catch((err: Error) => {
        if (now - this.lastRefreshWarn < 10_000) return;
        this.lastRefreshWarn = now;
        this.logger.warn(`Refreshing cached callers failed (serving them as they were): ${err.message}`);
      });
      return hit.reply;
    }
    return this.refresh(claims, requestId);
  }

  private refresh(claims: VerifiedClaims, requestId?: string): Promise<ResolveUserReply> {
    let pending = this.inflight.get(claims.sub);
    if (!pending) {
      pending = this.fetch(claims, requestId).finally(() => this.inflight.delete(claims.sub));
      this.inflight.set(claims.sub, pending);
    }
    return pending;
  }

  private async fetch(claims: VerifiedClaims, requestId?: string): Promise<ResolveUserReply> {
    const gen = this.generation.get(claims.sub) ?? 0;
    let reply: ResolveUserReply;
    try {
      const { exp: _exp, ...rest } = claims;
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
      this.cache.set(claims.sub, { reply, freshUntil: now + this.config.AUTH_CONTEXT_CACHE_MS, staleUntil: now + this.config.AUTH_CONTEXT_CACHE_MS + STALE_MS });
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
