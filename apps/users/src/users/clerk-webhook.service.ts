import { Injectable, Logger } from '@nestjs/common';
import { type ApplyWebhookReply, type ApplyWebhookRequest, profileText, UserRole } from '@vgp/contracts';
import { UsersService } from './users.service.js';

interface ClerkEmail {
  id?: unknown;
  email_address?: unknown;
  verification?: { status?: unknown } | null;
}

/** The event's email addresses that are objects with an address (anything else is skipped). */
const emailsOf = (v: unknown): ClerkEmail[] =>
  Array.isArray(v) ? v.filter((e): e is ClerkEmail => e !== null && typeof e === 'object' && profileText((e as ClerkEmail).email_address, 320) !== undefined) : [];

const ROLES = new Set<string>(Object.values(UserRole));

/** Clerk's milliseconds since the epoch; anything else orders nothing (and fits no bigint). */
const epochMs = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);

/**
 * Clerk's `user.created`, `user.updated` and `user.deleted` events (their Svix signature already
 * checked by the gateway). Deliveries may repeat, arrive out of order or at once on several
 * replicas: profile writes are upserts that skip an event older than the last applied
 * (`updated_at`, compared by the write itself), and a deletion is final (a deletion of a user not
 * stored yet leaves a tombstone that its retried `user.created` cannot revive).
 */
@Injectable()
export class ClerkWebhookService {
  private readonly logger = new Logger('ClerkWebhook');

  constructor(private readonly users: UsersService) {}

  async apply(req: ApplyWebhookRequest): Promise<ApplyWebhookReply> {
    const data = req?.data ?? {};
    const id = typeof data.id === 'string' ? data.id : undefined;
    if (!id || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) return { applied: false };
    const updatedAt = epochMs(data.updated_at);
    switch (req.type) {
      case 'user.created':
      case 'user.updated': {
        const emails = emailsOf(data.email_addresses);
        const primary = emails.find((e) => e.id === data.primary_email_address_id) ?? emails[0];
        const name = [profileText(data.first_name, 200), profileText(data.last_name, 200)].filter(Boolean).join(' ');
        const role = data.public_metadata && typeof data.public_metadata === 'object' ? (data.public_metadata as Record<string, unknown>).role : undefined;
        const { applied } = await this.users.upsertProfile(
          {
            id,
            username: profileText(data.username, 100) ?? null,
            full_name: name || null,
            email: profileText(primary?.email_address, 320) ?? null,
            image_url: profileText(data.image_url, 2000) ?? null,
            email_verified: primary ? primary.verification?.status === 'verified' : undefined,
            // Seeds a new user only; an existing user's role is managed here, not in Clerk.
            role: typeof role === 'string' && ROLES.has(role) ? (role as UserRole) : undefined,
          },
          { clerkUpdatedAt: updatedAt },
        );
        if (applied) this.users.changed(id);
        return { applied, user_id: id };
      }
      case 'user.deleted':
        // The event's data has no `updated_at`: the event's own time orders it.
        return { applied: await this.users.markDeleted(id, updatedAt ?? epochMs(req.timestamp)), user_id: id };
      default:
        this.logger.debug(`Ignored Clerk event ${req.type}`);
        return { applied: false };
    }
  }
}
