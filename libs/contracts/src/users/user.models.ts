import { UserRole, UserStatus } from './user.enums.js';

export interface UserProfile {
  id: string;
  username?: string;
  full_name: string;
  email?: string;
  image_url?: string;
  email_verified: boolean;
  created_at: string;
  last_sign_in_at?: string;
}

export interface UserPermissions {
  user_id: string;
  role: UserRole;
  permissions: string[];
  can_generate_videos: boolean;
  can_upload_files: boolean;
  can_access_premium_features: boolean;
  can_view_all_jobs: boolean;
  can_cancel_any_job: boolean;
  can_access_system_metrics: boolean;
  max_concurrent_jobs: number;
  max_daily_jobs: number;
  max_file_size_mb: number;
}

/** Ranges an admin may set limits within (spec: User Permissions Validation). */
export const PERMISSION_LIMITS = {
  max_concurrent_jobs: { min: 1, max: 10 },
  max_daily_jobs: { min: 1, max: 1000 },
  max_file_size_mb: { min: 1, max: 500 },
} as const;

type RoleDefaults = Omit<UserPermissions, 'user_id' | 'role'>;

/**
 * Each `can_*` flag of UserPermissions and the name in `permissions` that stands for the same right
 * (as the role defaults below use them). The flag and the name always agree.
 */
export const PERMISSION_FLAG_NAMES = {
  can_generate_videos: 'videos:generate',
  can_upload_files: 'files:upload',
  can_view_all_jobs: 'jobs:view_all',
  can_cancel_any_job: 'jobs:cancel_any',
  can_access_system_metrics: 'system:metrics',
  can_access_premium_features: 'premium',
} as const;

export type PermissionFlag = keyof typeof PERMISSION_FLAG_NAMES;

export const PERMISSION_FLAGS = Object.keys(PERMISSION_FLAG_NAMES) as PermissionFlag[];

/** The right to manage users (besides role `admin`): a name in `permissions` without a flag of its own. */
export const MANAGE_USERS_PERMISSION = 'users:manage';

/** Every name `permissions` may hold, in the order a list is written (the role defaults' order). */
export const PERMISSION_NAMES: readonly string[] = ['videos:generate', 'files:upload', 'jobs:view_all', 'jobs:cancel_any', 'system:metrics', MANAGE_USERS_PERMISSION, 'premium'];

const FLAG_OF_NAME = new Map<string, PermissionFlag>(PERMISSION_FLAGS.map((flag) => [PERMISSION_FLAG_NAMES[flag], flag]));

/** The flag a permission name stands for; undefined for `users:manage` and unknown names. */
export function permissionFlagOf(name: string): PermissionFlag | undefined {
  return FLAG_OF_NAME.get(name);
}

/**
 * The `permissions` list the flags describe, plus `users:manage` when `manageUsers`, in the order of
 * PERMISSION_NAMES: what every UserPermissions carries, whatever a stored list says.
 */
export function permissionList(flags: Readonly<Record<PermissionFlag, boolean>>, manageUsers: boolean): string[] {
  return PERMISSION_NAMES.filter((name) => (name === MANAGE_USERS_PERMISSION ? manageUsers : flags[FLAG_OF_NAME.get(name) as PermissionFlag]));
}

/** Permissions a role starts with; the `user` row is the spec's defaults. */
export const ROLE_DEFAULT_PERMISSIONS: Record<UserRole, RoleDefaults> = {
  [UserRole.USER]: {
    permissions: ['videos:generate', 'files:upload'],
    can_generate_videos: true,
    can_upload_files: true,
    can_access_premium_features: false,
    can_view_all_jobs: false,
    can_cancel_any_job: false,
    can_access_system_metrics: false,
    max_concurrent_jobs: 3,
    max_daily_jobs: 50,
    max_file_size_mb: 100,
  },
  [UserRole.MODERATOR]: {
    permissions: ['videos:generate', 'files:upload', 'jobs:view_all', 'jobs:cancel_any'],
    can_generate_videos: true,
    can_upload_files: true,
    can_access_premium_features: false,
    can_view_all_jobs: true,
    can_cancel_any_job: true,
    can_access_system_metrics: false,
    max_concurrent_jobs: 5,
    max_daily_jobs: 200,
    max_file_size_mb: 200,
  },
  [UserRole.ADMIN]: {
    permissions: ['videos:generate', 'files:upload', 'jobs:view_all', 'jobs:cancel_any', 'system:metrics', 'users:manage', 'premium'],
    can_generate_videos: true,
    can_upload_files: true,
    can_access_premium_features: true,
    can_view_all_jobs: true,
    can_cancel_any_job: true,
    can_access_system_metrics: true,
    max_concurrent_jobs: 10,
    max_daily_jobs: 1000,
    max_file_size_mb: 500,
  },
};

/**
 * Who is calling: set by the gateway after the token was verified and the profile resolved,
 * and passed in every request to the services, which enforce ownership and limits with it.
 */
export interface AuthContext {
  user_id: string;
  role: UserRole;
  status: UserStatus;
  permissions: UserPermissions;
}
