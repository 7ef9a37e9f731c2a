import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { UsersSubjects, type UserStandingReply } from '@vgp/contracts';
import { followUserChanges, NatsClient } from '@vgp/messaging';

/** How long an owner's standing is reused without asking again (changes evict it at once). */
const FRESH_MS = 30_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  shows: boolean;
  freshUntil: number;
}

/**
 * Whether a video owner's public content may be shown to others: not while the account is
 * suspended or inactive, nor once it was deleted (`users.v1.user.standing`). Answers are kept for
 * 30 s and dropped when the users service announces a change to the account (every replica hears
 * it), and all of them go stale when the connection to NATS was lost (a change may have been
 * missed meanwhile). When the users service does not answer, a stale answer is used if there is
 * one; otherwise the read fails with the users service's 503.
 */
@Injectable()
export class OwnerStanding implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OwnerStanding');
  private readonly cache = new Map<string, Entry>();
  /** Questions under way; `changed` is set when the user changed meanwhile (its answer is not kept). */
  private readonly inflight = new Map<string, { answer: Promise<boolean>; changed: boolean }>();
  private stopFollowing?: () => void;

  constructor(private readonly nats: NatsClient) {}

  onModuleInit(): void {
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

  evict(userId: string | undefined): void {
    if (typeof userId !== 'string') return;
    this.cache.delete(userId);
    const asking = this.inflight.get(userId);
    if (asking) asking.changed = true;
  }

  /** True when `userId`'s public videos and signed links may be served. */
  async showsPublicContent(userId: string): Promise<boolean> {
    const e = this.cache.get(userId);
    if (e && e.freshUntil > Date.now()) return e.shows;
    let asking = this.inflight.get(userId);
    if (!asking) {
      const q = { answer: Promise.resolve(true), changed: false };
      q.answer = this.ask(userId, e, q).finally(() => this.inflight.delete(userId));
      this.inflight.set(userId, q);
      asking = q;
    }
    return asking.answer;
  }

  private async ask(userId: string, stale: Entry | undefined, q: { changed: boolean }): Promise<boolean> {
    let reply: UserStandingReply;
    try {
      reply = await this.nats.request<UserStandingReply>(UsersSubjects.standing, { user_id: userId });
    } catch (err) {
      if (!stale) throw err;
      this.logger.warn(`The standing of ${userId} could not be read (${(err as Error).message}); using the last answer`);
      return stale.shows;
    }
    const shows = reply.shows_public_content !== false;
    if (!q.changed) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(userId, { shows, freshUntil: Date.now() + FRESH_MS });
    }
    return shows;
  }

}
