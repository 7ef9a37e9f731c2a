import { Injectable, Logger } from '@nestjs/common';
import { type ApplyWebhookReply, type ApplyWebhookRequest, UserRole } from '@vgp/contracts';
import { UsersService } from './users.service.js';

interface ClerkEmail {
  id?: string;
  email_address?: string;
  verification?: { status?: string } | null;
}

const ROLES = new Set<string>(Object.values(UserRole));

/**
 * Clerk's `user.created`, `user.updated` and `user.deleted` events (their Svix signature already
 * checked by the gateway). Deliveries may repeat or arrive out of order: profile writes are
 * upserts, and one older than the last applied (`updated_at`) is skipped.
 */
@Injectable()
export class ClerkWebhookService {
  private readonly logger = new Logger('ClerkWebhook');

  constructor(private readonly users: UsersService) {}

  async apply(req: ApplyWebhookRequest): Promise<ApplyWebhookReply> {
    const data = req?.data ?? {};
    const id = typeof data.id === 'string' ? data.id : undefined;
    if (!id || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) return { applied: false };
    const updatedAt = typeof data.updated_at === 'number' ? data.updated_at : undefined;
    switch (req.type) {
      case 'user.created':
      case 'user.updated': {
        const last = await this.users.clerkUpdatedAt(id);
        if (last !== null && updatedAt !== undefined && updatedAt < last) return { applied: false, user_id: id };
        const emails: ClerkEmail[] = Array.isArray(data.email_addresses) ? data.email_addresses : [];
        const primary = emails.find((e) => e.id === data.primary_email_address_id) ?? emails[0];
        const name = [data.first_name, data.last_name].filter((s) => typeof s === 'string' && s.trim()).join(' ');
        const role = data.public_metadata?.role;
        await this.users.upsertProfile(
          {
            id,
            username: typeof data.username === 'string' ? data.username : null,
            full_name: name || null,
            email: primary?.email_address ?? null,
            image_url: typeof data.image_url === 'string' ? data.image_url : null,
            email_verified: primary ? primary.verification?.status === 'verified' : undefined,
            // Seeds a new user only; an existing user's role is managed here, not in Clerk.
            role: typeof role === 'string' && ROLES.has(role) ? (role as UserRole) : undefined,
          },
          { clerkUpdatedAt: updatedAt },
        );
        this.users.changed(id);
        return { applied: true, user_id: id };
      }
      case 'user.deleted':
        return { applied: await this.users.markDeleted(id, updatedAt), user_id: id };
      default:
        this.logger.debug(`Ignored Clerk event ${req.type}`);
        return { applied: false };
    }
  }
}
