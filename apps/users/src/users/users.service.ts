import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import DataLoader from 'dataloader';
import {
  AppError,
  type AuthContext,
  ErrorCode,
  ExtraErrorCode,
  type ListUsersRequest,
  paginate,
  type PaginatedResponse,
  MANAGE_USERS_PERMISSION,
  PERMISSION_FLAG_NAMES,
  PERMISSION_FLAGS,
  permissionChangeErrors,
  permissionList,
  type ResolveClaims,
  type ResolveUserReply,
  ROLE_DEFAULT_PERMISSIONS,
  type UpdatePermissionsRequest,
  type UpdateStatusRequest,
  type UserDetail,
  type UserPermissions,
  UserRole,
  UsersEvents,
  UserStatus,
  type UserStandingReply,
  type UserSummary,
  pageWindow,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { returned } from '@vgp/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { toContext, toDetail, toPermissions, toProfile, toSummary, USER_COLUMNS, type UserRow } from './user.mapper.js';

const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;
const ROLES = new Set<string>(Object.values(UserRole));
const LIMITS = ['max_concurrent_jobs', 'max_daily_jobs', 'max_file_size_mb'] as const;

/** An admin manages users: role admin or the `users:manage` permission. */
export function isAdmin(user: AuthContext | undefined): boolean {
  return !!user && (user.role === UserRole.ADMIN || !!user.permissions?.permissions?.includes(MANAGE_USERS_PERMISSION));
}

/** A stored user who may manage users now: an admin (as `isAdmin`), active, not deleted in Clerk. */
function isActiveAdmin(row: UserRow | undefined): boolean {
  return !!row && row.status === UserStatus.ACTIVE && !row.deleted_at && isAdmin(toContext(row));
}

/** `isActiveAdmin` in SQL. */
const ACTIVE_ADMIN_SQL = `status = 'active' AND deleted_at IS NULL AND (role = 'admin' OR 'users:manage' = ANY(permissions))`;

/**
 * Taken (for the transaction) by every change that can take away a user's right to manage users:
 * a demotion, a suspension or deactivation, a Clerk deletion. They run one at a time, so the count
 * of the other active admins each one checks stays true until it commits.
 */
const ADMINS_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtextextended('users:active-admins', 0))`;

// `last_sign_in_at` is stamped again when older than this (not on every refresh of a gateway's cache).
const SIGN_IN_STAMP_MS = 5 * 60_000;
const clip = (v: string | undefined | null, max: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : null);

/** The profile fields of a new or updated user, from token claims or a Clerk webhook. */
export interface ProfileFields {
  id: string;
  username?: string | null;
  full_name?: string | null;
  email?: string | null;
  image_url?: string | null;
  email_verified?: boolean;
  role?: UserRole;
}

@Injectable()
export class UsersService {
  /**
   * Stored users by id, read together: the resolves of one event-loop turn (a gateway sends the
   * refreshes of many callers as one message) share one query. Nothing is cached across turns.
   */
  private readonly storedUsers = new DataLoader<string, UserRow | undefined>(
    async (ids) => {
      const rows: UserRow[] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = ANY($1::text[])`, [ids]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id));
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly nats: NatsClient,
  ) {}

  /**
   * The caller behind verified claims: created on first sight (the token's role seeds it, a token
   * saying the email is unverified starts it as `pending_verification`), its profile kept current,
   * `last_sign_in_at` stamped. Role, status, flags and limits are never taken from the token again.
   */
  async resolve(claims: ResolveClaims): Promise<ResolveUserReply> {
    if (!claims || typeof claims.sub !== 'string' || !USER_ID.test(claims.sub)) throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The bearer token is not valid');
    const fields: ProfileFields = {
      id: claims.sub,
      username: claims.username,
      full_name: claims.name,
      email: claims.email,
      image_url: claims.image_url,
      email_verified: claims.email_verified,
      role: claims.role,
    };
    // Gateways ask again every AUTH_CONTEXT_CACHE_MS per active caller: most answers need no write.
    const row = (await this.unchangedBy(fields)) ?? (await this.upsertProfile(fields, { signIn: true })).row;
    return { context: toContext(row), profile: toProfile(row) };
  }

  /**
   * The stored user when a sign-in with these fields would change nothing: same profile fields
   * (or none given), no verification to apply, `last_sign_in_at` less than SIGN_IN_STAMP_MS old,
   * or a deleted user (never revived by a token). Read-only, so the common case writes nothing.
   */
  private async unchangedBy(f: ProfileFields): Promise<UserRow | undefined> {
    const row = await this.storedUsers.load(f.id);
    if (!row) return undefined;
    if (row.deleted_at) return row;
    const same = (given: string | boolean | null, stored: string | boolean | null) => given === null || given === stored;
    const verified = typeof f.email_verified === 'boolean' ? f.email_verified : null;
    const unchanged =
      same(clip(f.username, 100), row.username) &&
      same(clip(f.full_name, 200), row.full_name) &&
      same(clip(f.email, 320), row.email) &&
      same(clip(f.image_url, 2000), row.image_url) &&
      same(verified, row.email_verified) &&
      !(row.status === UserStatus.PENDING_VERIFICATION && verified === true);
    const stamped = row.last_sign_in_at !== null && Date.now() - row.last_sign_in_at.getTime() < SIGN_IN_STAMP_MS;
    return unchanged && stamped ? row : undefined;
  }

  /**
   * Insert or refresh a profile; only the given fields change an existing row. `applied` is false
   * when nothing was written: the user was deleted in Clerk (never revived), or `clerkUpdatedAt` is
   * older than the Clerk time already applied (checked by the write itself, so two webhook
   * deliveries racing on several replicas still leave the newer one).
   */
  async upsertProfile(f: ProfileFields, opts: { signIn?: boolean; clerkUpdatedAt?: number } = {}): Promise<{ row: UserRow; applied: boolean }> {
    const role = f.role && ROLES.has(f.role) ? f.role : UserRole.USER;
    const d = ROLE_DEFAULT_PERMISSIONS[role];
    const username = clip(f.username, 100);
    const email = clip(f.email, 320);
    const fullName = clip(f.full_name, 200);
    const verified = typeof f.email_verified === 'boolean' ? f.email_verified : null;
    const status = verified === false ? UserStatus.PENDING_VERIFICATION : UserStatus.ACTIVE;
    const rows: UserRow[] = await this.db.query(
      `INSERT INTO users.users AS u (id, username, full_name, email, image_url, email_verified, role, status, permissions,
         can_generate_videos, can_upload_files, can_access_premium_features, can_view_all_jobs, can_cancel_any_job,
         can_access_system_metrics, max_concurrent_jobs, max_daily_jobs, max_file_size_mb, last_sign_in_at, clerk_updated_at)
       VALUES ($1, $2, COALESCE($3, $2, split_part($4, '@', 1), $1), $4, $5, COALESCE($6, false), $7, $8, $9,
         $10, $11, $12, $13, $14, $15, $16, $17, $18, CASE WHEN $19 THEN now() END, $20)
       ON CONFLICT (id) DO UPDATE SET
         username = COALESCE(EXCLUDED.username, u.username),
         full_name = COALESCE($3, u.full_name),
         email = COALESCE(EXCLUDED.email, u.email),
         image_url = COALESCE(EXCLUDED.image_url, u.image_url),
         email_verified = COALESCE($6, u.email_verified),
         status = CASE WHEN u.status = 'pending_verification' AND $6 IS TRUE THEN 'active' ELSE u.status END,
         last_sign_in_at = CASE WHEN $19 THEN now() ELSE u.last_sign_in_at END,
         clerk_updated_at = GREATEST(EXCLUDED.clerk_updated_at, u.clerk_updated_at),
         updated_at = CASE WHEN (COALESCE(EXCLUDED.username, u.username), COALESCE($3, u.full_name), COALESCE(EXCLUDED.email, u.email),
             COALESCE(EXCLUDED.image_url, u.image_url), COALESCE($6, u.email_verified))
           IS DISTINCT FROM (u.username, u.full_name, u.email, u.image_url, u.email_verified) THEN now() ELSE u.updated_at END
       WHERE u.deleted_at IS NULL AND ($20::bigint IS NULL OR u.clerk_updated_at IS NULL OR u.clerk_updated_at <= $20::bigint)
       RETURNING ${USER_COLUMNS}`,
      [
        f.id,
        username,
        fullName,
        email,
        clip(f.image_url, 2000),
        verified,
        role,
        status,
        d.permissions,
        d.can_generate_videos,
        d.can_upload_files,
        d.can_access_premium_features,
        d.can_view_all_jobs,
        d.can_cancel_any_job,
        d.can_access_system_metrics,
        d.max_concurrent_jobs,
        d.max_daily_jobs,
        d.max_file_size_mb,
        !!opts.signIn,
        opts.clerkUpdatedAt ?? null,
      ],
    );
    // A user deleted in Clerk keeps its cleared profile and inactive status; an older event changes nothing.
    return rows[0] ? { row: rows[0], applied: true } : { row: await this.find(f.id), applied: false };
  }

  private assertAdmin(user: AuthContext): void {
    if (!isAdmin(user)) throw AppError.forbidden('Only administrators can manage users');
  }

  private async find(id: string): Promise<UserRow> {
    if (typeof id !== 'string' || !USER_ID.test(id)) throw AppError.notFound(ExtraErrorCode.USER_NOT_FOUND, 'user', { user_id: id });
    const rows: UserRow[] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = $1`, [id]);
    if (!rows[0]) throw AppError.notFound(ExtraErrorCode.USER_NOT_FOUND, 'user', { user_id: id });
    return rows[0];
  }

  /**
   * Whether `id`'s public content may be shown to others: not while the account is suspended or
   * inactive, nor once it was deleted. An id not stored here has nothing held against it.
   */
  async standing(id: unknown): Promise<UserStandingReply> {
    if (typeof id !== 'string' || !USER_ID.test(id)) throw AppError.validation([{ field: 'user_id', code: 'INVALID_FORMAT', message: 'user_id must be a user id' }]);
    const rows: Array<{ status: UserStatus; deleted: boolean }> = await this.db.query(`SELECT status, deleted_at IS NOT NULL AS deleted FROM users.users WHERE id = $1`, [id]);
    const row = rows[0];
    const hidden = !!row && (row.deleted || row.status === UserStatus.SUSPENDED || row.status === UserStatus.INACTIVE);
    return { user_id: id, shows_public_content: !hidden };
  }

  async get(user: AuthContext, id: string): Promise<UserDetail> {
    this.assertAdmin(user);
    return toDetail(await this.find(id));
  }

  async list(req: ListUsersRequest): Promise<PaginatedResponse<UserSummary>> {
    this.assertAdmin(req.user);
    const where: string[] = [];
    const params: unknown[] = [];
    if (req.role) where.push(`role = $${params.push(req.role)}`);
    if (req.status) where.push(`status = $${params.push(req.status)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const order = req.sort_order === 'asc' ? 'ASC' : 'DESC';
    const { page, per, offset } = pageWindow(req.page, req.items_per_page);
    const [rows, count]: [UserRow[], Array<{ n: string }>] = await Promise.all([
      this.db.query(`SELECT ${USER_COLUMNS} FROM users.users ${filter} ORDER BY created_at ${order}, id ${order} LIMIT ${per} OFFSET ${offset}`, params),
      this.db.query(`SELECT count(*) AS n FROM users.users ${filter}`, params),
    ]);
    return paginate(rows.map(toSummary), page, per, Number(count[0].n));
  }

  /**
   * An admin changes a user's role, flags and limits. A new role (other than the user's current
   * one) brings that role's defaults, then any flag, limit or `permissions` given in the same request
   * overrides them; the current role given again resets nothing. `permissions` (known names only)
   * states every right at once: each flag follows whether its name is in it, `users:manage` too; a
   * flag given alone changes its name in the list. A list and a flag that disagree are refused (422).
   */
  async updatePermissions(req: UpdatePermissionsRequest): Promise<UserPermissions> {
    this.assertAdmin(req.user);
    const c = req.changes ?? {};
    if (typeof req.user_id !== 'string' || !USER_ID.test(req.user_id)) throw AppError.notFound(ExtraErrorCode.USER_NOT_FOUND, 'user', { user_id: req.user_id });
    if (c.role !== undefined && !ROLES.has(c.role)) {
      throw AppError.validation([{ field: 'role', code: 'INVALID_ENUM', message: 'role must be one of: user, moderator, admin' }]);
    }
    const invalid = permissionChangeErrors(c);
    if (invalid.length) throw AppError.validation(invalid);
    // Only a role other than admin, or a new permissions list, can take away the right to manage users.
    const mayRemoveAdmin = (!!c.role && c.role !== UserRole.ADMIN) || c.permissions !== undefined;
    const row = await this.db.transaction(async (m) => {
      if (mayRemoveAdmin) await m.query(ADMINS_LOCK_SQL);
      const found: UserRow[] = await m.query(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = $1 FOR UPDATE`, [req.user_id]);
      if (!found[0]) throw AppError.notFound(ExtraErrorCode.USER_NOT_FOUND, 'user', { user_id: req.user_id });
      const next: Omit<UserPermissions, 'user_id'> = { ...toPermissions(found[0]) };
      if (c.role && c.role !== found[0].role) Object.assign(next, ROLE_DEFAULT_PERMISSIONS[c.role], { role: c.role });
      let manageUsers = next.permissions.includes(MANAGE_USERS_PERMISSION);
      if (c.permissions) {
        for (const k of PERMISSION_FLAGS) next[k] = c.permissions.includes(PERMISSION_FLAG_NAMES[k]);
        manageUsers = c.permissions.includes(MANAGE_USERS_PERMISSION);
      }
      for (const k of PERMISSION_FLAGS) if (typeof c[k] === 'boolean') next[k] = c[k] as boolean;
      for (const k of LIMITS) if (typeof c[k] === 'number') next[k] = c[k] as number;
      next.permissions = permissionList(next, manageUsers);
      const staysAdmin = isAdmin({ user_id: req.user_id, role: next.role, status: found[0].status, permissions: { ...next, user_id: req.user_id } });
      if (req.user_id === req.user.user_id && !staysAdmin) {
        throw AppError.conflict(ErrorCode.CONFLICT, 'Administrators cannot remove their own right to manage users');
      }
      if (isActiveAdmin(found[0]) && !staysAdmin) await this.assertNotLastAdmin(m, req.user_id);
      await this.assertStillAdmin(m, req.user);
      const rows = returned<UserRow>(await m.query(
        `UPDATE users.users SET role = $2, permissions = $3, can_generate_videos = $4, can_upload_files = $5, can_access_premium_features = $6,
           can_view_all_jobs = $7, can_cancel_any_job = $8, can_access_system_metrics = $9, max_concurrent_jobs = $10, max_daily_jobs = $11,
           max_file_size_mb = $12, updated_at = now()
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [
          req.user_id,
          next.role,
          next.permissions,
          next.can_generate_videos,
          next.can_upload_files,
          next.can_access_premium_features,
          next.can_view_all_jobs,
          next.can_cancel_any_job,
          next.can_access_system_metrics,
          next.max_concurrent_jobs,
          next.max_daily_jobs,
          next.max_file_size_mb,
        ],
      ));
      return rows[0];
    });
    this.changed(row.id);
    return toPermissions(row);
  }

  /**
   * An admin activates, deactivates or suspends a user; every gateway drops its cached copy. A user
   * deleted in Clerk stays as it is, and the last active admin cannot be deactivated or suspended.
   */
  async updateStatus(req: UpdateStatusRequest): Promise<UserDetail> {
    this.assertAdmin(req.user);
    if (![UserStatus.ACTIVE, UserStatus.INACTIVE, UserStatus.SUSPENDED].includes(req.status)) {
      throw AppError.validation([{ field: 'status', code: 'INVALID_ENUM', message: 'status must be one of: active, inactive, suspended' }]);
    }
    if (req.user_id === req.user.user_id && req.status !== UserStatus.ACTIVE) {
      throw AppError.conflict(ErrorCode.CONFLICT, 'Administrators cannot deactivate or suspend themselves');
    }
    if (typeof req.user_id !== 'string' || !USER_ID.test(req.user_id)) throw AppError.notFound(ExtraErrorCode.USER_NOT_FOUND, 'user', { user_id: req.user_id });
    const row = await this.db.transaction(async (m) => {
      const removes = req.status !== UserStatus.ACTIVE;
      if (removes) await m.query(ADMINS_LOCK_SQL);
      const found: UserRow[] = await m.query(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = $1 FOR UPDATE`, [req.user_id]);
      if (!found[0]) throw AppError.notFound(ExtraErrorCode.USER_NOT_FOUND, 'user', { user_id: req.user_id });
      if (removes && isActiveAdmin(found[0])) await this.assertNotLastAdmin(m, req.user_id);
      await this.assertStillAdmin(m, req.user);
      if (found[0].deleted_at) {
        throw AppError.conflict(ErrorCode.CONFLICT, 'This user was deleted in Clerk: its status can no longer change', { user_id: req.user_id });
      }
      const rows = returned<UserRow>(await m.query(`UPDATE users.users SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`, [req.user_id, req.status]));
      return rows[0];
    });
    this.changed(req.user_id);
    return toDetail(row);
  }

  /** Under ADMINS_LOCK_SQL: refuses a change that would leave no active admin but `userId`'s own. */
  private async assertNotLastAdmin(m: EntityManager, userId: string): Promise<void> {
    const others: Array<{ n: number }> = await m.query(`SELECT count(*)::int AS n FROM users.users WHERE id <> $1 AND ${ACTIVE_ADMIN_SQL}`, [userId]);
    if (others[0].n === 0) {
      throw AppError.conflict(ErrorCode.CONFLICT, 'This user is the last active administrator: promote another administrator first', { user_id: userId });
    }
  }

  /**
   * The caller context comes from a gateway's cache: the caller must still be an active admin in
   * the database (under ADMINS_LOCK_SQL when the change can remove an admin, so it cannot change meanwhile).
   */
  private async assertStillAdmin(m: EntityManager, user: AuthContext): Promise<void> {
    const rows: UserRow[] = await m.query(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = $1`, [user.user_id]);
    if (!isActiveAdmin(rows[0])) throw AppError.forbidden('Only active administrators can manage users');
  }

  /**
   * Clerk deleted the account: the row stays (jobs and videos refer to it) but is inactive and without
   * personal data. A deletion of a user not stored yet (its `user.created` still to be retried) leaves
   * such a row too, a tombstone: Clerk never reuses an id, and no later profile event or token brings
   * a deleted user back. `clerkUpdatedAt` is the event's time (now when unknown).
   */
  async markDeleted(id: string, clerkUpdatedAt?: number): Promise<boolean> {
    const rows = await this.db.transaction(async (m) => {
      // It may take away an admin: ordered with the changes that check for the last one.
      await m.query(ADMINS_LOCK_SQL);
      return returned<{ id: string }>(await m.query(
        `INSERT INTO users.users AS u (id, username, full_name, email, image_url, email_verified, role, status, permissions, deleted_at, clerk_updated_at)
         VALUES ($1, NULL, 'Deleted user', NULL, NULL, false, 'user', 'inactive', '{}', now(), COALESCE($2::bigint, (extract(epoch FROM now()) * 1000)::bigint))
         ON CONFLICT (id) DO UPDATE SET status = 'inactive', deleted_at = COALESCE(u.deleted_at, now()), updated_at = now(), username = NULL,
           full_name = 'Deleted user', email = NULL, image_url = NULL, clerk_updated_at = GREATEST(u.clerk_updated_at, EXCLUDED.clerk_updated_at)
         RETURNING id`,
        [id, clerkUpdatedAt ?? null],
      ));
    });
    if (rows.length) this.changed(id);
    return rows.length > 0;
  }

  changed(userId: string): void {
    this.nats.publish(UsersEvents.updated, { user_id: userId });
  }
}
