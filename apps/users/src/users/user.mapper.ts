import { type AuthContext, MANAGE_USERS_PERMISSION, permissionList, type UserDetail, type UserPermissions, type UserProfile, UserStatus, type UserSummary } from '@vgp/contracts';

/** A `users.users` row as PostgreSQL returns it: the profile, the status, and the permission columns. */
export interface UserRow extends Omit<UserPermissions, 'user_id'> {
  id: string;
  username: string | null;
  full_name: string;
  email: string | null;
  image_url: string | null;
  email_verified: boolean;
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
  last_sign_in_at: Date | null;
  deleted_at: Date | null;
}

export const USER_COLUMNS = `id, username, full_name, email, image_url, email_verified, role, status, permissions,
  can_generate_videos, can_upload_files, can_access_premium_features, can_view_all_jobs, can_cancel_any_job,
  can_access_system_metrics, max_concurrent_jobs, max_daily_jobs, max_file_size_mb, created_at, updated_at,
  last_sign_in_at, deleted_at`;

export function toProfile(r: UserRow): UserProfile {
  const p: UserProfile = { id: r.id, full_name: r.full_name, email_verified: r.email_verified, created_at: r.created_at.toISOString() };
  if (r.username) p.username = r.username;
  if (r.email) p.email = r.email;
  if (r.image_url) p.image_url = r.image_url;
  if (r.last_sign_in_at) p.last_sign_in_at = r.last_sign_in_at.toISOString();
  return p;
}

/**
 * The permissions of a row. The list is derived from the flags (which the services enforce) plus the
 * stored `users:manage`, so it always names the rights the user has: rows written before the list
 * and the flags were kept in step may disagree, or hold names that mean nothing.
 */
export function toPermissions(r: UserRow): UserPermissions {
  return {
    user_id: r.id,
    role: r.role,
    permissions: permissionList(r, r.permissions.includes(MANAGE_USERS_PERMISSION)),
    can_generate_videos: r.can_generate_videos,
    can_upload_files: r.can_upload_files,
    can_access_premium_features: r.can_access_premium_features,
    can_view_all_jobs: r.can_view_all_jobs,
    can_cancel_any_job: r.can_cancel_any_job,
    can_access_system_metrics: r.can_access_system_metrics,
    max_concurrent_jobs: r.max_concurrent_jobs,
    max_daily_jobs: r.max_daily_jobs,
    max_file_size_mb: r.max_file_size_mb,
  };
}

/** A user deleted in Clerk is inactive, whatever its stored status (a row reactivated before that was refused). */
const statusOf = (r: UserRow): UserStatus => (r.deleted_at ? UserStatus.INACTIVE : r.status);

export function toContext(r: UserRow): AuthContext {
  return { user_id: r.id, role: r.role, status: statusOf(r), permissions: toPermissions(r) };
}

export function toSummary(r: UserRow): UserSummary {
  return { ...toProfile(r), role: r.role, status: statusOf(r), updated_at: r.updated_at.toISOString() };
}

export function toDetail(r: UserRow): UserDetail {
  return { ...toSummary(r), permissions: toPermissions(r) };
}
