import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '../common/field-errors.js';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import { VideoFormat } from '../videos/video.enums.js';
import { CreateBatchDto, CreateVideoJobDto, JobConfigurationDto, ListJobsQueryDto } from './job.dto.js';
import { JobPriority, VideoQuality } from './job.enums.js';

function check<T extends object>(cls: new () => T, plain: unknown) {
  const obj = plainToInstance(cls, plain);
  return { obj, errors: toFieldErrors(validateSync(obj as object, { whitelist: true, forbidNonWhitelisted: true })) };
}
const fields = (plain: unknown, cls: new () => object = JobConfigurationDto) => check(cls, plain).errors.map((e) => `${e.field}:${e.code}`);
const base = { topic: 'Pythagorean theorem', context: 'For 8th graders' };

describe('JobConfigurationDto', () => {
  it('applies the spec defaults', () => {
    const { obj, errors } = check(JobConfigurationDto, base);
    expect(errors).toEqual([]);
    expect(obj).toMatchObject({ quality: VideoQuality.MEDIUM, use_rag: false, enable_subtitles: true, enable_thumbnails: true, output_format: 'mp4' });
  });

  it('refuses null for an optional field instead of storing it over the default', () => {
    for (const field of ['model', 'quality', 'use_rag', 'custom_config', 'template_id', 'style_preferences', 'enable_subtitles', 'enable_thumbnails', 'output_format']) {
      expect([field, fields({ ...base, [field]: null }).length]).toEqual([field, 1]);
    }
    expect(fields({ ...base, quality: null })).toEqual(['quality:INVALID_ENUM']);
    expect(fields({ configuration: base, priority: null }, CreateVideoJobDto)).toEqual(['priority:INVALID_ENUM']);
    expect(fields({ jobs: [{ configuration: base, priority: null }], priority: null }, CreateBatchDto)).toEqual(['jobs[0].priority:INVALID_ENUM', 'priority:INVALID_ENUM']);
  });

  it.each([
    ['topic', 0, 'configuration'],
    ['topic', 501, 'configuration'],
    ['context', 0, 'configuration'],
    ['context', 2001, 'configuration'],
  ])('rejects %s of length %i', (field, len) => {
    expect(fields({ ...base, [field]: 'x'.repeat(len) })).toEqual([`${field}:INVALID_LENGTH`]);
  });

  it.each([
    ['topic', 1],
    ['topic', 500],
    ['context', 1],
    ['context', 2000],
  ])('accepts %s of length %i', (field, len) => {
    expect(fields({ ...base, [field]: 'x'.repeat(len) })).toEqual([]);
  });

  it('reports missing required fields once, as MISSING_FIELD with the spec message', () => {
    const { errors } = check(JobConfigurationDto, {});
    expect(errors).toEqual([
      { field: 'topic', message: 'Topic is required', code: 'MISSING_FIELD' },
      { field: 'context', message: 'Context is required', code: 'MISSING_FIELD' },
    ]);
  });

  it('echoes the invalid value, as in the spec example', () => {
    const { errors } = check(JobConfigurationDto, { ...base, context: '' });
    expect(errors).toEqual([{ field: 'context', message: 'Context must be between 1 and 2000 characters', code: 'INVALID_LENGTH', value: '' }]);
  });

  it('accepts every quality and format of the spec, and nothing else', () => {
    for (const q of Object.values(VideoQuality)) expect(fields({ ...base, quality: q })).toEqual([]);
    for (const f of Object.values(VideoFormat)) expect(fields({ ...base, output_format: f })).toEqual([]);
    expect(fields({ ...base, quality: 'MEDIUM' })).toEqual(['quality:INVALID_ENUM']);
    expect(fields({ ...base, output_format: 'mkv' })).toEqual(['output_format:INVALID_ENUM']);
  });

  it('checks types strictly', () => {
    expect(fields({ ...base, use_rag: 'true', enable_subtitles: 1, topic: 5 })).toEqual(['topic:INVALID_TYPE', 'use_rag:INVALID_TYPE', 'enable_subtitles:INVALID_TYPE']);
    expect(fields({ ...base, style_preferences: { theme: 3 } })).toEqual(['style_preferences:INVALID_VALUE']);
    expect(fields({ ...base, style_preferences: { theme: 'dark', font_size: '48' } })).toEqual([]);
    // Values count characters as the topic does: 150 emoji are 150, 201 letters too many.
    expect(fields({ ...base, style_preferences: { mood: '😀'.repeat(150) } })).toEqual([]);
    expect(fields({ ...base, style_preferences: { mood: '😀'.repeat(201) } })).toEqual(['style_preferences:INVALID_VALUE']);
    expect(fields({ ...base, style_preferences: { mood: 'a'.repeat(201) } })).toEqual(['style_preferences:INVALID_VALUE']);
    expect(fields({ ...base, custom_config: { seed: 1 } })).toEqual([]);
    expect(fields({ ...base, custom_config: [] })).toEqual(['custom_config:INVALID_TYPE']);
    expect(fields({ ...base, custom_config: 'x' })).toEqual(['custom_config:INVALID_TYPE']);
  });

  it('rejects unknown fields', () => {
    expect(fields({ ...base, colour: 'red' })).toEqual(['colour:UNKNOWN_FIELD']);
  });
});

describe('CreateVideoJobDto', () => {
  it('defaults priority to normal and validates the nested configuration with a dotted path', () => {
    const { obj, errors } = check(CreateVideoJobDto, { configuration: base });
    expect(errors).toEqual([]);
    expect(obj.priority).toBe(JobPriority.NORMAL);
    expect(fields({ configuration: { ...base, topic: '' }, priority: 'asap' }, CreateVideoJobDto).sort()).toEqual([
      'configuration.topic:INVALID_LENGTH',
      'priority:INVALID_ENUM',
    ]);
    expect(fields({}, CreateVideoJobDto)).toEqual(['configuration:MISSING_FIELD']);
  });
});

describe('CreateBatchDto', () => {
  const item = { configuration: base };
  it.each([
    [0, ['jobs:INVALID_LENGTH']],
    [1, []],
    [50, []],
    [51, ['jobs:TOO_MANY_ITEMS']],
  ])('with %i jobs', (n, expected) => {
    expect(fields({ jobs: Array.from({ length: n }, () => item) }, CreateBatchDto)).toEqual(expected);
  });

  it('names the failing item by index', () => {
    expect(fields({ jobs: [item, { configuration: { topic: 'x' } }] }, CreateBatchDto)).toEqual(['jobs[1].configuration.context:MISSING_FIELD']);
  });

  it('reports a value of the wrong kind once, without fields it cannot have', () => {
    const errors = (plain: unknown) => check(CreateBatchDto, plain).errors.map((e) => `${e.field}:${e.code}:${e.message}`);
    expect(errors({ jobs: {} })).toEqual(['jobs:INVALID_TYPE:jobs must be an array']);
    expect(errors({ jobs: [item, 1, null] })).toEqual([
      'jobs[1]:INVALID_TYPE:every item of jobs must be an object with a configuration',
      'jobs[2]:INVALID_TYPE:every item of jobs must be an object with a configuration',
    ]);
    expect(errors({ jobs: [{ configuration: 'Pythagoras' }] })).toEqual(['jobs[0].configuration:INVALID_TYPE:configuration must be an object']);
  });
});

describe('PaginationQueryDto', () => {
  it.each([
    [{ page: '0' }, ['page:OUT_OF_RANGE']],
    [{ page: '1' }, []],
    [{ page: 'abc' }, ['page:INVALID_TYPE']],
    [{ items_per_page: '0' }, ['items_per_page:OUT_OF_RANGE']],
    [{ items_per_page: '1' }, []],
    [{ items_per_page: '100' }, []],
    [{ items_per_page: '101' }, ['items_per_page:OUT_OF_RANGE']],
    [{ sort_order: 'asc' }, []],
    [{ sort_order: 'up' }, ['sort_order:INVALID_ENUM']],
  ])('%j', (q, expected) => {
    expect(fields(q, PaginationQueryDto)).toEqual(expected);
  });

  it('defaults to page 1 of 10, newest first', () => {
    expect(check(PaginationQueryDto, {}).obj).toMatchObject({ page: 1, items_per_page: 10, sort_order: 'desc' });
  });

  it('job list filters', () => {
    expect(fields({ status: 'queued', all: 'true', created_after: '2026-01-01T00:00:00Z' }, ListJobsQueryDto)).toEqual([]);
    expect(fields({ status: 'done', batch_id: 'x', created_before: 'yesterday', all: 'maybe' }, ListJobsQueryDto).sort()).toEqual([
      'all:INVALID_TYPE',
      'batch_id:INVALID_FORMAT',
      'created_before:INVALID_FORMAT',
      'status:INVALID_ENUM',
    ]);
  });
});
