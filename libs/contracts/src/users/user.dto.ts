import { ApiPropertyOptional } from '@nestjs/swagger';

import { IsArray, IsBoolean, IsEnum, IsIn, IsInt, IsOptional, IsString, Max, Min, ArrayMaxSize, Length } from 'class-validator';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import { IsOmittable } from '../common/validators.js';
import { PERMISSION_LIMITS } from './user.models.js';
import { UserRole, UserStatus } from './user.enums.js';

const L = PERMISSION_LIMITS;

/** Body of `PATCH /users/{id}/permissions`. Limits within the spec's ranges. */
export class UpdatePermissionsDto {
  @ApiPropertyOptional({ enum: UserRole })
  @IsOmittable()
  @IsEnum(UserRole, { message: 'role must be one of: user, moderator, admin' })
  role?: UserRole;

  @ApiPropertyOptional({ type: [String] })
  @IsOmittable()
  @IsArray({ message: 'permissions must be an array of strings' })
  @ArrayMaxSize(50, { message: 'permissions holds at most 50 entries' })
  @IsString({ each: true, message: 'permissions must be an array of strings' })
  @Length(1, 100, { each: true, message: 'each permission must be between 1 and 100 characters' })
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

  @ApiPropertyOptional({ minimum: L.max_concurrent_jobs.min, maximum: L.max_concurrent_jobs.max })
  @IsOmittable()
  @IsInt({ message: 'max_concurrent_jobs must be a whole number' })
  @Min(L.max_concurrent_jobs.min, { message: `max_concurrent_jobs must be between ${L.max_concurrent_jobs.min} and ${L.max_concurrent_jobs.max}` })
  @Max(L.max_concurrent_jobs.max, { message: `max_concurrent_jobs must be between ${L.max_concurrent_jobs.min} and ${L.max_concurrent_jobs.max}` })
  max_concurrent_jobs?: number;

  @ApiPropertyOptional({ minimum: L.max_daily_jobs.min, maximum: L.max_daily_jobs.max })
  @IsOmittable()
  @IsInt({ message: 'max_daily_jobs must be a whole number' })
  @Min(L.max_daily_jobs.min, { message: `max_daily_jobs must be between ${L.max_daily_jobs.min} and ${L.max_daily_jobs.max}` })
  @Max(L.max_daily_jobs.max, { message: `max_daily_jobs must be between ${L.max_daily_jobs.min} and ${L.max_daily_jobs.max}` })
  max_daily_jobs?: number;

  @ApiPropertyOptional({ minimum: L.max_file_size_mb.min, maximum: L.max_file_size_mb.max })
  @IsOmittable()
  @IsInt({ message: 'max_file_size_mb must be a whole number' })
  @Min(L.max_file_size_mb.min, { message: `max_file_size_mb must be between ${L.max_file_size_mb.min} and ${L.max_file_size_mb.max}` })
  @Max(L.max_file_size_mb.max, { message: `max_file_size_mb must be between ${L.max_file_size_mb.min} and ${L.max_file_size_mb.max}` })
  max_file_size_mb?: number;
}

export const ADMIN_SETTABLE_STATUSES = [UserStatus.ACTIVE, UserStatus.INACTIVE, UserStatus.SUSPENDED] as const;

/** Body of `PATCH /users/{id}/status`. */
export class UpdateUserStatusDto {
  @ApiPropertyOptional({ enum: ADMIN_SETTABLE_STATUSES })
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

