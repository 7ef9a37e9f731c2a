import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '../common/field-errors.js';
import { UpdatePermissionsDto, UpdateUserStatusDto } from './user.dto.js';
import { ROLE_DEFAULT_PERMISSIONS } from './user.models.js';
import { UserRole } from './user.enums.js';

const codes = (cls: new () => object, plain: object) =>
  toFieldErrors(validateSync(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true })).map((e) => `${e.field}:${e.code}`);

describe('UpdatePermissionsDto limits (spec ranges)', () => {
  it.each([
    ['max_concurrent_jobs', 0, 1, 10, 11],
    ['max_daily_jobs', 0, 1, 1000, 1001],
    ['max_file_size_mb', 0, 1, 500, 501],
  ])('%s', (field, below, min, max, above) => {
    expect(codes(UpdatePermissionsDto, { [field]: below })).toEqual([`${field}:OUT_OF_RANGE`]);
    expect(codes(UpdatePermissionsDto, { [field]: min })).toEqual([]);
    expect(codes(UpdatePermissionsDto, { [field]: max })).toEqual([]);
    expect(codes(UpdatePermissionsDto, { [field]: above })).toEqual([`${field}:OUT_OF_RANGE`]);
    expect(codes(UpdatePermissionsDto, { [field]: 2.5 })).toEqual([`${field}:INVALID_TYPE`]);
  });

  it('roles and flags', () => {
    expect(codes(UpdatePermissionsDto, { role: 'admin', can_view_all_jobs: true })).toEqual([]);
    expect(codes(UpdatePermissionsDto, { role: 'root', can_view_all_jobs: 'yes' })).toEqual(['role:INVALID_ENUM', 'can_view_all_jobs:INVALID_TYPE']);
  });

  it('null is no value of any field: 422 on it, not a change silently skipped', () => {
    const fields = ['role', 'permissions', 'can_generate_videos', 'can_upload_files', 'can_access_premium_features', 'can_view_all_jobs', 'can_cancel_any_job', 'can_access_system_metrics', 'max_concurrent_jobs', 'max_daily_jobs', 'max_file_size_mb'];
    for (const field of fields) expect([field, codes(UpdatePermissionsDto, { [field]: null }).length]).toEqual([field, 1]);
    expect(codes(UpdatePermissionsDto, { max_concurrent_jobs: null, role: null })).toEqual(['role:INVALID_ENUM', 'max_concurrent_jobs:INVALID_TYPE']);
    expect(codes(UpdatePermissionsDto, {})).toEqual([]);
  });

  it('status: only what an admin may set', () => {
    expect(codes(UpdateUserStatusDto, { status: 'suspended' })).toEqual([]);
    expect(codes(UpdateUserStatusDto, { status: 'pending_verification' })).toEqual(['status:INVALID_ENUM']);
  });
});

describe('role defaults', () => {
  it('the user role has the spec defaults', () => {
    expect(ROLE_DEFAULT_PERMISSIONS[UserRole.USER]).toMatchObject({
      can_generate_videos: true,
      can_upload_files: true,
      can_access_premium_features: false,
      can_view_all_jobs: false,
      can_cancel_any_job: false,
      can_access_system_metrics: false,
      max_concurrent_jobs: 3,
      max_daily_jobs: 50,
      max_file_size_mb: 100,
    });
  });
});
