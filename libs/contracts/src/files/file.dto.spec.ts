import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '../common/field-errors.js';
import { ListFilesQueryDto, UploadFieldsDto } from './file.dto.js';
import { unsafeNameReason } from './file-rules.js';

const fields = (cls: new () => object, plain: unknown) =>
  toFieldErrors(validateSync(plainToInstance(cls, plain) as object, { whitelist: true, forbidNonWhitelisted: true })).map((e) => `${e.field}:${e.code}`);

describe('unsafeNameReason', () => {
  it.each(['report.pdf', 'notes v2.md', 'übung.txt', 'a.b.c', '.hidden', 'x'.repeat(255)])('accepts %j', (name) => {
    expect(unsafeNameReason(name)).toBeNull();
  });

  it.each([
    '',
    'x'.repeat(256),
    '../etc/passwd',
    '..',
    'a/b.txt',
    '/etc/passwd',
    'a\\b.txt',
    'C:\\Windows\\x.dll',
    'C:x.txt',
    'bad\u0000.txt',
    'new\nline.txt',
    '%2e%2e%2fetc%2fpasswd',
    '..%2fpasswd',
    '%252e%252e%252fpasswd',
    'a%5cb.txt',
    '%00.txt',
    'x..y',
    '.',
    '   ',
  ])('refuses %j', (name) => {
    expect(unsafeNameReason(name)).toEqual(expect.any(String));
  });

  it('refuses non-strings', () => {
    expect(unsafeNameReason(undefined)).toEqual(expect.any(String));
    expect(unsafeNameReason(42)).toEqual(expect.any(String));
  });
});

describe('UploadFieldsDto', () => {
  it('accepts up to 10 tags, a safe subdirectory and a known file_type', () => {
    expect(fields(UploadFieldsDto, { tags: Array.from({ length: 10 }, (_, i) => `t${i}`), subdirectory: 'lessons', file_type: 'document', description: 'x'.repeat(1000) })).toEqual([]);
  });

  it.each([
    [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags:TOO_MANY_ITEMS'],
    [{ tags: ['x'.repeat(51)] }, 'tags:INVALID_LENGTH'],
    [{ subdirectory: '../up' }, 'subdirectory:INVALID_VALUE'],
    [{ subdirectory: 'a/b' }, 'subdirectory:INVALID_VALUE'],
    [{ subdirectory: '%2e%2e' }, 'subdirectory:INVALID_VALUE'],
    [{ subdirectory: 'x'.repeat(101) }, 'subdirectory:INVALID_VALUE'],
    [{ file_type: 'executable' }, 'file_type:INVALID_ENUM'],
    [{ description: 'x'.repeat(1001) }, 'description:INVALID_LENGTH'],
    [{ owner: 'bob' }, 'owner:UNKNOWN_FIELD'],
  ])('rejects %j', (body, expected) => {
    expect(fields(UploadFieldsDto, body)).toEqual([expected]);
  });
});

describe('ListFilesQueryDto', () => {
  it('filters by file_type only from the enum', () => {
    expect(fields(ListFilesQueryDto, { file_type: 'image' })).toEqual([]);
    expect(fields(ListFilesQueryDto, { file_type: 'exe' })).toEqual(['file_type:INVALID_ENUM']);
  });
});
