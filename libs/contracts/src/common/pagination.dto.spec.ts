import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from './field-errors.js';
import { CreatedRangeQueryDto } from './pagination.dto.js';
import { isoInstant } from './validators.js';

describe('isoInstant', () => {
  it.each([
    ['2024-01-15', '2024-01-15T00:00:00.000Z'],
    ['2024-01-15T10:30', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00Z', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00.123456Z', '2024-01-15T10:30:00.123Z'],
    // Without an offset: UTC.
    ['2024-01-15T10:30:00', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00+02:00', '2024-01-15T08:30:00.000Z'],
    // Beyond PostgreSQL's ±15:59, which refused it: the instant is still a clear one.
    ['2024-01-01T00:00:00-16:00', '2024-01-01T16:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
  ])('reads %j as %s', (value, instant) => {
    expect(isoInstant(value)).toBe(instant);
  });

  it.each([
    '2024-W01-1',
    '2024-015',
    '2024',
    '2024-01',
    '2023-02-29',
    '2024-02-30',
    '2024-13-01',
    '2024-01-15T24:00:00Z',
    '2024-01-15T10:60:00Z',
    '2024-01-15T10:30:00+24:00',
    '0000-01-01',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:59:59-01:00',
    '+010000-01-01T00:00:00Z',
    '2024-01-15 10:30:00',
    '2024-01-15T10:30:00z',
    'yesterday',
    '',
    12,
    null,
  ])('refuses %j', (value) => {
    expect(isoInstant(value)).toBeUndefined();
  });
});

describe('CreatedRangeQueryDto', () => {
  const check = (plain: Record<string, unknown>) => {
    const dto = plainToInstance(CreatedRangeQueryDto, plain);
    return { dto, errors: toFieldErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true })).map((e) => `${e.field}:${e.code}`) };
  };

  it('passes the range on as canonical UTC instants', () => {
    const { dto, errors } = check({ created_after: '2024-01-01T00:00:00-16:00', created_before: '2024-02-01' });
    expect(errors).toEqual([]);
    expect(dto.created_after).toBe('2024-01-01T16:00:00.000Z');
    expect(dto.created_before).toBe('2024-02-01T00:00:00.000Z');
  });

  it('refuses a week date and an impossible day with 422 INVALID_FORMAT on the field', () => {
    expect(check({ created_after: '2024-W01-1', created_before: '2024-02-30' }).errors).toEqual(['created_after:INVALID_FORMAT', 'created_before:INVALID_FORMAT']);
  });
});

describe('PaginationQueryDto', () => {
  const check = (plain: Record<string, unknown>) => {
    const dto = plainToInstance(CreatedRangeQueryDto, plain);
    return { dto, errors: toFieldErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true })) };
  };

  it('reads decimal digits as whole numbers', () => {
    const { dto, errors } = check({ page: '3', items_per_page: '100' });
    expect(errors).toEqual([]);
    expect([dto.page, dto.items_per_page]).toEqual([3, 100]);
    expect(check({ page: '0' }).errors.map((e) => e.message)).toEqual(['page must be at least 1']);
    expect(check({ page: '99999999999999999999' }).errors.map((e) => e.message)).toEqual(['page must be at most 1000000']);
  });

  it.each(['0x10', '1e1', '+1', '1.0', ' 2', 'abc', ''])('refuses page=%j, naming the value sent', (page) => {
    expect(check({ page }).errors).toEqual([expect.objectContaining({ field: 'page', message: 'page must be a whole number', value: page })]);
  });
});
