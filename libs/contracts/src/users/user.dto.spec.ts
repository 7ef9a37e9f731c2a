import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '../common/field-errors.js';
import { permissionChangeErrors, UpdatePermissionsDto, UpdateUserStatusDto } from './user.dto.js';
import { PERMISSION_FLAG_NAMES, PERMISSION_FLAGS, PERMISSION_NAMES, permissionFlagOf, permissionList, ROLE_DEFAULT_PERMISSIONS } from './user.models.js';
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

  it('status is required: MISSING_FIELD when absent or null, as the spec and the job routes do', () => {
    const errors = (plain: object) => toFieldErrors(validateSync(plainToInstance(UpdateUserStatusDto, plain), { whitelist: true, forbidNonWhitelisted: true }));
    expect(errors({})).toEqual([{ field: 'status', code: 'MISSING_FIELD', message: 'status is required' }]);
    expect(codes(UpdateUserStatusDto, { status: null })).toEqual(['status:MISSING_FIELD']);
    expect(codes(UpdateUserStatusDto, { status: '' })).toEqual(['status:INVALID_ENUM']);
  });

  it('permissions: only the known names', () => {
    expect(codes(UpdatePermissionsDto, { permissions: [...PERMISSION_NAMES] })).toEqual([]);
    expect(codes(UpdatePermissionsDto, { permissions: [] })).toEqual([]);
    for (const bad of [['beta'], ['😀'], [' '], [''], ['videos:generate', 'Premium'], ['premium ']]) {
      expect([bad, codes(UpdatePermissionsDto, { permissions: bad })]).toEqual([bad, ['permissions:INVALID_ENUM']]);
    }
    expect(codes(UpdatePermissionsDto, { permissions: [1] })).toEqual(['permissions:INVALID_TYPE']);
    const [error] = toFieldErrors(validateSync(plainToInstance(UpdatePermissionsDto, { permissions: ['premium', 'beta'] })));
    expect(error.message).toBe(`unknown permission "beta": permissions may only hold ${PERMISSION_NAMES.join(', ')}`);
  });
});

describe('permissions list and flags', () => {
  it('name each right the same way as the role defaults do', () => {
    for (const [role, d] of Object.entries(ROLE_DEFAULT_PERMISSIONS)) {
      expect([role, permissionList(d, d.permissions.includes('users:manage'))]).toEqual([role, d.permissions]);
      for (const flag of PERMISSION_FLAGS) expect([role, flag, d[flag]]).toEqual([role, flag, d.permissions.includes(PERMISSION_FLAG_NAMES[flag])]);
    }
    expect(PERMISSION_FLAG_NAMES).toEqual({
      can_generate_videos: 'videos:generate',
      can_upload_files: 'files:upload',
      can_view_all_jobs: 'jobs:view_all',
      can_cancel_any_job: 'jobs:cancel_any',
      can_access_system_metrics: 'system:metrics',
      can_access_premium_features: 'premium',
    });
    expect(permissionFlagOf('system:metrics')).toBe('can_access_system_metrics');
    expect(permissionFlagOf('users:manage')).toBeUndefined();
    expect([...PERMISSION_NAMES].sort()).toEqual([...Object.values(PERMISSION_FLAG_NAMES), 'users:manage'].sort());
  });

  it('a change whose list and flags disagree, or with unknown names, is refused naming the field', () => {
    const fields = (c: object) => permissionChangeErrors(c).map((e) => `${e.field}:${e.code}`);
    expect(fields({ can_view_all_jobs: false })).toEqual([]);
    expect(fields({ permissions: ['jobs:view_all'], can_view_all_jobs: true, can_upload_files: false })).toEqual([]);
    expect(fields({ permissions: ['jobs:view_all'], can_view_all_jobs: false })).toEqual(['can_view_all_jobs:INVALID_VALUE']);
    expect(fields({ permissions: [], can_access_system_metrics: true, can_access_premium_features: false })).toEqual(['can_access_system_metrics:INVALID_VALUE']);
    expect(fields({ permissions: ['system:metrics', 'x'] })).toEqual(['permissions:INVALID_ENUM']);
    expect(fields({ permissions: [null] })).toEqual(['permissions:INVALID_TYPE']);
    expect(fields({ permissions: {} })).toEqual(['permissions:INVALID_TYPE']);
    expect(permissionChangeErrors({ permissions: [], can_access_system_metrics: true })[0]).toEqual({
      field: 'can_access_system_metrics',
      code: 'INVALID_VALUE',
      value: true,
      message: 'can_access_system_metrics is true but permissions leaves out system:metrics: they are the same right, so give them alike or only one of them',
    });
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
