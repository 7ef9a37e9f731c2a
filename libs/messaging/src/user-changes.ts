import { type UserChangedEvent, UsersEvents } from '@vgp/contracts';
import type { NatsClient } from './nats.client.js';

/**
 * Keeps a per-user cache true to the users service: `evict(userId)` on every
 * `users.v1.user.updated`/`.deleted` (heard by every replica, no queue group), and `stale()` when
 * the connection was lost (an event may have been missed meanwhile). Answers a function that stops.
 */
export function followUserChanges(nats: NatsClient, evict: (userId: string) => void, stale: () => void): () => void {
  const onEvent = (e: UserChangedEvent) => {
    if (typeof e?.user_id === 'string') evict(e.user_id);
  };
  const subs = [nats.subscribe<UserChangedEvent>(UsersEvents.updated, onEvent), nats.subscribe<UserChangedEvent>(UsersEvents.deleted, onEvent)];
  const stopFollowing = nats.onConnectionLost(stale);
  return () => {
    stopFollowing();
    for (const s of subs) s.unsubscribe();
  };
}
