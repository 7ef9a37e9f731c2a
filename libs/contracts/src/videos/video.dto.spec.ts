import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '../common/field-errors.js';
import { codePointLength, ListVideosQueryDto, SubtitleQueryDto, ThumbnailQueryDto, UpdateVideoDto, VideoBytesQueryDto } from './video.dto.js';

function check<T extends object>(cls: new () => T, plain: unknown) {
  const obj = plainToInstance(cls, plain);
  return { obj, errors: toFieldErrors(validateSync(obj as object, { whitelist: true, forbidNonWhitelisted: true })) };
}
const fields = (cls: new () => object, plain: unknown) => check(cls, plain).errors.map((e) => `${e.field}:${e.code}`);

describe('UpdateVideoDto', () => {
  it.each([
    [{ title: 'x' }],
    [{ title: 'x'.repeat(200) }],
    [{ description: '' }],
    [{ description: 'x'.repeat(1000) }],
    [{ tags: [] }],
    [{ tags: Array.from({ length: 10 }, (_, i) => `t${i}`) }],
    [{ tags: ['x'.repeat(50)] }],
    [{ is_public: true }],
    [{}],
    // Characters as PostgreSQL counts them (code points): ❤️ is two (U+2764 U+FE0F), 📐 one.
    [{ title: '\u2764\uFE0F'.repeat(100) }],
    [{ title: '\u{1F4D0}'.repeat(200) }],
    [{ description: '\u2764\uFE0F'.repeat(500) }],
    [{ tags: ['\u2764\uFE0F'.repeat(25)] }],
  ])('accepts %j', (body) => {
    expect(fields(UpdateVideoDto, body)).toEqual([]);
  });

  it.each([
    [{ title: '' }, 'title:INVALID_LENGTH'],
    [{ title: 'x'.repeat(201) }, 'title:INVALID_LENGTH'],
    [{ title: 5 }, 'title:INVALID_TYPE'],
    [{ description: 'x'.repeat(1001) }, 'description:INVALID_LENGTH'],
    [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags:TOO_MANY_ITEMS'],
    [{ tags: ['x'.repeat(51)] }, 'tags:INVALID_LENGTH'],
    [{ tags: 'a,b' }, 'tags:INVALID_TYPE'],
    [{ is_public: 'yes' }, 'is_public:INVALID_TYPE'],
    [{ status: 'ready' }, 'status:UNKNOWN_FIELD'],
    // validator.js's isLength counted these as 150, 200, 501 and 26: they could not be stored whole.
    [{ title: '\u2764\uFE0F'.repeat(150) }, 'title:INVALID_LENGTH'],
    [{ title: `${'x'.repeat(200)}\uFE0E` }, 'title:INVALID_LENGTH'],
    [{ title: '\u{1F4D0}'.repeat(201) }, 'title:INVALID_LENGTH'],
    [{ description: '\u2764\uFE0F'.repeat(501) }, 'description:INVALID_LENGTH'],
    [{ tags: ['\u2764\uFE0F'.repeat(26)] }, 'tags:INVALID_LENGTH'],
  ])('rejects %j', (body, expected) => {
    expect(fields(UpdateVideoDto, body)).toEqual([expected]);
  });
});

describe('codePointLength', () => {
  it('counts as PostgreSQL char_length does', () => {
    expect(['', 'x', '\u2764\uFE0F', '\u{1F4D0}', 'e\u0301', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'].map(codePointLength)).toEqual([0, 1, 2, 1, 2, 5]);
  });
});

describe('ListVideosQueryDto', () => {
  it('applies defaults and accepts the filters of the API', () => {
    const { obj, errors } = check(ListVideosQueryDto, { status: 'ready', format: 'mp4', tag: 'math', created_after: '2026-01-01T00:00:00Z', page: '2' });
    expect(errors).toEqual([]);
    expect(obj).toMatchObject({ page: 2, items_per_page: 10, sort_order: 'desc', sort_by: 'created_at' });
  });

  it.each([
    [{ status: 'deleted' }, 'status:INVALID_ENUM'],
    [{ tag: '\u2764\uFE0F'.repeat(26) }, 'tag:INVALID_LENGTH'],
    [{ format: 'mkv' }, 'format:INVALID_ENUM'],
    [{ created_before: 'yesterday' }, 'created_before:INVALID_FORMAT'],
    [{ sort_by: 'user_id' }, 'sort_by:INVALID_ENUM'],
    [{ items_per_page: '101' }, 'items_per_page:OUT_OF_RANGE'],
  ])('rejects %j', (q, expected) => {
    expect(fields(ListVideosQueryDto, q)).toEqual([expected]);
  });
});

describe('asset queries', () => {
  it('defaults thumbnails to medium, index 0, and subtitles to srt', () => {
    expect(check(ThumbnailQueryDto, {}).obj).toMatchObject({ size: 'medium', index: 0 });
    expect(check(SubtitleQueryDto, {}).obj).toMatchObject({ format: 'srt' });
  });

  it('checks sizes, indexes, formats and inline', () => {
    expect(fields(ThumbnailQueryDto, { size: 'huge' })).toEqual(['size:INVALID_ENUM']);
    expect(fields(ThumbnailQueryDto, { index: '-1' })).toEqual(['index:OUT_OF_RANGE']);
    expect(fields(ThumbnailQueryDto, { index: '99' })).toEqual([]);
    expect(fields(ThumbnailQueryDto, { index: 'one' })).toEqual(['index:INVALID_TYPE']);
    expect(fields(SubtitleQueryDto, { format: 'ass' })).toEqual(['format:INVALID_ENUM']);
    expect(check(VideoBytesQueryDto, { inline: 'true' }).obj.inline).toBe(true);
    expect(fields(VideoBytesQueryDto, { inline: 'maybe' })).toEqual(['inline:INVALID_TYPE']);
  });
});
