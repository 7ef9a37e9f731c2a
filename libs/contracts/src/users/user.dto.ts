import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsArray, IsBoolean, IsDefined, IsEnum, IsIn, IsInt, IsOptional, IsString, Max, Min, ArrayMaxSize, type ValidationArguments } from 'class-validator';
import type { FieldError } from '../common/api-response.js';
import { FieldErrorCode } from '../common/error-codes.js';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import { IsOmittable } from '../common/validators.js';
import { PERMISSION_FLAG_NAMES, PERMISSION_FLAGS, PERMISSION_LIMITS, PERMISSION_NAMES } from './user.models.js';
import { UserRole, UserStatus } from './user.enums.js';

const L = PERMISSION_LIMITS;

/**
 * Body of `PATCH /users/{id}/permissions`. Limits within the spec's ranges. `permissions` and the
 * `can_*` flags are two views of the same rights (PERMISSION_FLAG_NAMES): either may be given, and
 * the users service keeps the other in step; given together they must agree.
 */
export class UpdatePermissionsDto {
  @ApiPropertyOptional({ enum: UserRole })
  @IsOmittable()
  @IsEnum(UserRole, { message: 'role must be one of: user, moderator, admin' })
  role?: UserRole;

  @ApiPropertyOptional({
    enum: PERMISSION_NAMES,
    isArray: true,
    description: 'The full list of rights: sets every can_* flag (a name present: true, absent: false) and users:manage',
  })
  @IsOmittable()
  @IsArray({ message: 'permissions must be an array of strings' })
  @ArrayMaxSize(50, { message: 'permissions holds at most 50 entries' })
  @IsString({ each: true, message: 'permissions must be an array of strings' })
  @IsIn(PERMISSION_NAMES, { each: true, message: (args: ValidationArguments) => unknownPermissionsMessage(args.value) })
  permissions?: string[];

  @ApiPropertyOptional() @IsOmittable() @IsBoolean({ message: 'can_generate_videos must be a boolean' })
  can_generate_videos?: boolean;

  @ApiPropertyOptional() @IsOmittable() @IsBoolean({ message: 'can_upload_files must be a boolean' })
  can_upload_files?: boolean;

  @ApiPropertyOptional() @IsOmittable() @IsBoolean({ message: 'can_access_premium_features must be a boolean' })
  can_access_premium_features?: boolean;

  @ApiPropertyOptional() @IsOmittable() @IsBoolean({ message: 'can_view_all_jobs must be a boolean' })
  can_view_all_jobs?: boolean;

  @ApiPropertyOptional() @IsOmittable() @IsBoolean({ message: 'can_cancel_any_job must be a boolean' })
  can_cancel_any_job?: boolean;

  @ApiPropertyOptional() @IsOmittable() @IsBoolean({ message: 'can_access_system_metrics must be a boolean' })
  can_access_system_metrics?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: L.max_concurrent_jobs.min, maximum: L.max_concurrent_jobs.max })
  @IsOmittable()
  @IsInt({ message: 'max_concurrent_jobs must be a whole number' })
  @Min(L.max_concurrent_jobs.min, { message: `max_concurrent_jobs must be between ${L.max_concurrent_jobs.min} and ${L.max_concurrent_jobs.max}` })
  @Max(L.max_concurrent_jobs.max, { message: `max_concurrent_jobs must be between ${L.max_concurrent_jobs.min} and ${L.max_concurrent_jobs.max}` })
  max_concurrent_jobs?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: L.max_daily_jobs.min, maximum: L.max_daily_jobs.max })
  @IsOmittable()
  @IsInt({ message: 'max_daily_jobs must be a whole number' })
  @Min(L.max_daily_jobs.min, { message: `max_daily_jobs must be between ${L.max_daily_jobs.min} and ${L.max_daily_jobs.max}` })
  @Max(L.max_daily_jobs.max, { message: `max_daily_jobs must be between ${L.max_daily_jobs.min} and ${L.max_daily_jobs.max}` })
  max_daily_jobs?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: L.max_file_size_mb.min, maximum: L.max_file_size_mb.max })
  @IsOmittable()
  @IsInt({ message: 'max_file_size_mb must be a whole number' })
  @Min(L.max_file_size_mb.min, { message: `max_file_size_mb must be between ${L.max_file_size_mb.min} and ${L.max_file_size_mb.max}` })
  @Max(L.max_file_size_mb.max, { message: `max_file_size_mb must be between ${L.max_file_size_mb.min} and ${L.max_file_size_mb.max}` })
  max_file_size_mb?: number;
}

/** The message for a `permissions` list holding names other than PERMISSION_NAMES. */
export function unknownPermissionsMessage(list: unknown): string {
  const unknown = Array.isArray(list) ? list.filter((n) => typeof n !== 'string' || !PERMISSION_NAMES.includes(n)) : [];
  const named = unknown.length ? `unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((n) => JSON.stringify(String(n).slice(0, 50))).join(', ')}: ` : '';
  return `${named}permissions may only hold ${PERMISSION_NAMES.join(', ')}`;
}

/**
 * What is wrong with a change's `permissions` list as the users service applies it (it may come
 * over NATS without the DTO's checks): anything but known names, or a list and a flag given in
 * the same change that say different things (`permissions` without `jobs:view_all` but
 * `can_view_all_jobs: true`). Empty when the change may be applied.
 */
export function permissionChangeErrors(changes: Partial<Record<keyof UpdatePermissionsDto, unknown>>): FieldError[] {
  const list = changes.permissions;
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) {
    return [{ field: 'permissions', code: FieldErrorCode.INVALID_TYPE, message: 'permissions must be an array of strings' }];
  }
  if (list.some((n: string) => !PERMISSION_NAMES.includes(n))) {
    return [{ field: 'permissions', code: FieldErrorCode.INVALID_ENUM, message: unknownPermissionsMessage(list) }];
  }
  const errors: FieldError[] = [];
  for (const flag of PERMISSION_FLAGS) {
    const value = changes[flag];
    const name = PERMISSION_FLAG_NAMES[flag];
    if (typeof value === 'boolean' && value !== list.includes(name)) {
      errors.push({
        field: flag,
        code: FieldErrorCode.INVALID_VALUE,
        message: `${flag} is ${value} but permissions ${value ? 'leaves out' : 'holds'} ${name}: they are the same right, so give them alike or only one of them`,
        value,
      });
    }
  }
  return errors;
}

export const ADMIN_SETTABLE_STATUSES = [UserStatus.ACTIVE, UserStatus.INACTIVE, UserStatus.SUSPENDED] as const;

/** Body of `PATCH /users/{id}/status`. */
export class UpdateUserStatusDto {
  @ApiProperty({ enum: ADMIN_SETTABLE_STATUSES })
  @IsDefined({ message: 'status is required' })
  @IsIn(ADMIN_SETTABLE_STATUSES, { message: 'status must be one of: active, inactive, suspended' })
  status: UserStatus;
}

/** Query of `GET /users`. */
export class ListUsersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: UserRole })
  @IsOptional()
  @IsEnum(UserRole, { message: 'role must be one of: user, moderator, admin' })
  role?: UserRole;

  @ApiPropertyOptional({ enum: UserStatus })
  @IsOptional()
  @IsEnum(UserStatus, { message: `status must be one of: ${Object.values(UserStatus).join(', ')}` })
  status?: UserStatus;
}

