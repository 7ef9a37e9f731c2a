import type { UpdatePermissionsDto } from './user.dto.js';
import type { UserRole, UserStatus } from './user.enums.js';
import type { AuthContext, UserPermissions, UserProfile } from './user.models.js';

/** Verified token claims, as the gateway passes them to `users.v1.user.resolve`. */
export interface ResolveClaims {
  sub: string;
  /** Seeds a new user's role only; afterwards the stored role is authoritative. */
  role?: UserRole;
  email?: string;
  name?: string;
  image_url?: string;
  email_verified?: boolean;
  username?: string;
}

/** `users.v1.user.resolve` */
export interface ResolveUserRequest {
  claims: ResolveClaims;
}

export interface ResolveUserReply {
  context: AuthContext;
  profile: UserProfile;
}

/** A user as an admin sees it: profile, role, status and permissions. */
export interface UserSummary extends UserProfile {
  role: UserRole;
  status: UserStatus;
  updated_at: string;
}

export interface UserDetail extends UserSummary {
  permissions: UserPermissions;
}

/** `users.v1.user.get`, `users.v1.permissions.get` */
export interface UserRefRequest {
  user: AuthContext;
  user_id: string;
}

/** `users.v1.user.list` */
export interface ListUsersRequest {
  user: AuthContext;
  page: number;
  items_per_page: number;
  sort_order: 'asc' | 'desc';
  role?: UserRole;
  status?: UserStatus;
}

/** `users.v1.permissions.update` */
export interface UpdatePermissionsRequest {
  user: AuthContext;
  user_id: string;
  changes: UpdatePermissionsDto;
}

/** `users.v1.status.update` */
export interface UpdateStatusRequest {
  user: AuthContext;
  user_id: string;
  status: UserStatus;
}

/** `users.v1.webhook.apply`: a Clerk webhook event whose Svix signature the gateway verified. */
export interface ApplyWebhookRequest {
  svix_id: string;
  type: string;
  data: Record<string, any>;
  /**
   * The event's own time (the top-level `timestamp` of a Clerk event, epoch milliseconds), when the
   * gateway passes it: a `user.deleted` event's data carries no `updated_at`, so this orders it.
   */
  timestamp?: number;
}

export interface ApplyWebhookReply {
  applied: boolean;
  user_id?: string;
}

/** `users.v1.user.standing`: may this user's public content be shown to others? */
export interface UserStandingRequest {
  user_id: string;
}

export interface UserStandingReply {
  user_id: string;
  /**
   * False while the account is suspended or inactive, and once it was deleted: its public videos
   * and signed links answer 404 like private ones. True for an active account, one pending
   * verification, and an id the users service does not know.
   */
  shows_public_content: boolean;
}

/** `users.v1.user.updated` / `users.v1.user.deleted`: drop any cached caller of this id. */
export interface UserChangedEvent {
  user_id: string;
}

/**
 * `users.v1.ratelimit.reserve`: a gateway replica takes `n` requests of `key`'s window at once and
 * serves them from memory; the store never hands out more than `limit` per window in total.
 */
export interface RateLimitReserveRequest {
  key: string;
  /** Window start, epoch milliseconds. */
  window_start: number;
  window_seconds: number;
  n: number;
  limit: number;
}

export interface RateLimitReserveReply {
  /** How many of the `n` were granted (0 when the window is used up). */
  granted: number;
  /** Requests reserved in this window by every replica, after this grant. */
  used: number;
}
