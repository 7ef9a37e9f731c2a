import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEnum,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  ValidateNested,
} from 'class-validator';
import { CreatedRangeQueryDto, PaginationQueryDto } from '../common/pagination.dto.js';
import { IsOmittable, IsStringRecord, MaxJsonBytes } from '../common/validators.js';
import { VideoFormat } from '../videos/video.enums.js';
import { JobLogLevel, JobPriority, JobStatus, JobType, VideoQuality } from './job.enums.js';
import type { JobConfiguration } from './job.models.js';

export const TOPIC_MAX = 500;
export const CONTEXT_MAX = 2000;
export const BATCH_MAX_JOBS = 50;
/**
 * `custom_config` as JSON, at most: a job travels between the services in one NATS message (1 MB by
 * default) with its configuration, and a larger one could be stored and then not be sent back.
 */
export const CUSTOM_CONFIG_MAX_BYTES = 64 * 1024;

/** JobConfiguration with the spec's validation rules and defaults. */
export class JobConfigurationDto implements JobConfiguration {
  @ApiProperty({ minLength: 1, maxLength: TOPIC_MAX, example: 'Pythagorean theorem' })
  @IsDefined({ message: 'Topic is required' })
  @IsString({ message: 'Topic must be a string' })
  @Length(1, TOPIC_MAX, { message: `Topic must be between 1 and ${TOPIC_MAX} characters` })
  topic: string;

  @ApiProperty({ minLength: 1, maxLength: CONTEXT_MAX, example: 'Explain it for 8th graders with a visual proof' })
  @IsDefined({ message: 'Context is required' })
  @IsString({ message: 'Context must be a string' })
  @Length(1, CONTEXT_MAX, { message: `Context must be between 1 and ${CONTEXT_MAX} characters` })
  context: string;

  @ApiPropertyOptional({ description: 'Script generator; omitted means the built-in generator', example: 'builtin' })
  @IsOmittable()
  @IsString({ message: 'Model must be a string' })
  @Length(1, 100, { message: 'Model must be between 1 and 100 characters' })
  model?: string;

  @ApiPropertyOptional({ enum: VideoQuality, default: VideoQuality.MEDIUM })
  @IsOmittable()
  @IsEnum(VideoQuality, { message: 'Quality must be one of: low, medium, high, ultra' })
  quality: VideoQuality = VideoQuality.MEDIUM;

  @ApiPropertyOptional({ default: false })
  @IsOmittable()
  @IsBoolean({ message: 'use_rag must be a boolean' })
  use_rag: boolean = false;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOmittable()
  @IsObject({ message: 'custom_config must be an object' })
  @MaxJsonBytes(CUSTOM_CONFIG_MAX_BYTES, { message: `custom_config must be at most ${CUSTOM_CONFIG_MAX_BYTES / 1024} KiB as JSON` })
  custom_config?: Record<string, any>;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOmittable()
  @IsString({ message: 'template_id must be a string' })
  @Length(1, 100, { message: 'template_id must be between 1 and 100 characters' })
  template_id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { theme: 'dark' } })
  @IsOmittable()
  @IsStringRecord({ message: 'style_preferences must be an object of strings (at most 50 keys, values up to 200 characters)' })
  style_preferences?: Record<string, string>;

  @ApiPropertyOptional({ default: true })
  @IsOmittable()
  @IsBoolean({ message: 'enable_subtitles must be a boolean' })
  enable_subtitles: boolean = true;

  @ApiPropertyOptional({ default: true })
  @IsOmittable()
  @IsBoolean({ message: 'enable_thumbnails must be a boolean' })
  enable_thumbnails: boolean = true;

  @ApiPropertyOptional({ enum: VideoFormat, default: VideoFormat.MP4 })
  @IsOmittable()
  @IsEnum(VideoFormat, { message: `output_format must be one of: ${Object.values(VideoFormat).join(', ')}` })
  output_format: string = VideoFormat.MP4;
}

/** Body of `POST /videos/generate`. */
export class CreateVideoJobDto {
  @ApiProperty({ type: JobConfigurationDto })
  @IsDefined({ message: 'configuration is required' })
  @IsObject({ message: 'configuration must be an object' })
  @ValidateNested()
  @Type(() => JobConfigurationDto)
  configuration: JobConfigurationDto;

  @ApiPropertyOptional({ enum: JobPriority, default: JobPriority.NORMAL })
  @IsOmittable()
  @IsEnum(JobPriority, { message: 'Priority must be one of: low, normal, high, urgent' })
  priority: JobPriority = JobPriority.NORMAL;
}

/** One item of `POST /videos/batch`; its priority defaults to the batch's. */
export class BatchJobItemDto {
  @ApiProperty({ type: JobConfigurationDto })
  @IsDefined({ message: 'configuration is required' })
  @IsObject({ message: 'configuration must be an object' })
  @ValidateNested()
  @Type(() => JobConfigurationDto)
  configuration: JobConfigurationDto;

  @ApiPropertyOptional({ enum: JobPriority })
  @IsOmittable()
  @IsEnum(JobPriority, { message: 'Priority must be one of: low, normal, high, urgent' })
  priority?: JobPriority;
}

/** Body of `POST /videos/batch`. */
export class CreateBatchDto {
  @ApiProperty({ type: [BatchJobItemDto], minItems: 1, maxItems: BATCH_MAX_JOBS })
  @IsDefined({ message: 'jobs is required' })
  @IsArray({ message: 'jobs must be an array' })
  @ArrayMinSize(1, { message: `A batch holds between 1 and ${BATCH_MAX_JOBS} jobs` })
  @ArrayMaxSize(BATCH_MAX_JOBS, { message: `A batch holds between 1 and ${BATCH_MAX_JOBS} jobs` })
  @ValidateNested({ each: true, message: 'every item of jobs must be an object with a configuration' })
  @Type(() => BatchJobItemDto)
  jobs: BatchJobItemDto[];

  @ApiPropertyOptional({ enum: JobPriority, default: JobPriority.NORMAL })
  @IsOmittable()
  @IsEnum(JobPriority, { message: 'Priority must be one of: low, normal, high, urgent' })
  priority: JobPriority = JobPriority.NORMAL;
}

export const JOB_SORT_FIELDS = ['created_at', 'updated_at', 'priority', 'status'] as const;
export type JobSortField = (typeof JOB_SORT_FIELDS)[number];

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** Query of `GET /jobs`. */
export class ListJobsQueryDto extends CreatedRangeQueryDto {
  @ApiPropertyOptional({ enum: JobStatus })
  @IsOptional()
  @IsEnum(JobStatus, { message: `status must be one of: ${Object.values(JobStatus).join(', ')}` })
  status?: JobStatus;

  @ApiPropertyOptional({ enum: JobType })
  @IsOptional()
  @IsEnum(JobType, { message: `job_type must be one of: ${Object.values(JobType).join(', ')}` })
  job_type?: JobType;

  @ApiPropertyOptional({ enum: JobPriority })
  @IsOptional()
  @IsEnum(JobPriority, { message: 'priority must be one of: low, normal, high, urgent' })
  priority?: JobPriority;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'batch_id must be a UUID' })
  batch_id?: string;

  @ApiPropertyOptional({ enum: JOB_SORT_FIELDS, default: 'created_at' })
  @IsOptional()
  @IsIn(JOB_SORT_FIELDS, { message: `sort_by must be one of: ${JOB_SORT_FIELDS.join(', ')}` })
  sort_by: JobSortField = 'created_at';

  @ApiPropertyOptional({ description: 'Admins with can_view_all_jobs only' })
  @IsOptional()
  @IsString({ message: 'user_id must be a string' })
  @Length(1, 100, { message: 'user_id must be between 1 and 100 characters' })
  user_id?: string;

  @ApiPropertyOptional({ description: 'Admins with can_view_all_jobs only: every user\'s jobs' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'all must be true or false' })
  all?: boolean;
}

/** Query of `GET /jobs/{id}/logs`. */
export class JobLogsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: JobLogLevel })
  @IsOptional()
  @IsEnum(JobLogLevel, { message: `level must be one of: ${Object.values(JobLogLevel).join(', ')}` })
  level?: JobLogLevel;
}

export { toBoolean as queryBoolean };
