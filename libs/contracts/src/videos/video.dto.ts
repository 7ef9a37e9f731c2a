import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, registerDecorator, type ValidationOptions } from 'class-validator';
import { CreatedRangeQueryDto } from '../common/pagination.dto.js';
import { IsOmittable, QueryInt } from '../common/validators.js';
import { SUBTITLE_FORMATS, type SubtitleFormat, THUMBNAIL_SIZES, type ThumbnailSize, VideoFormat, VideoStatus } from './video.enums.js';

export const VIDEO_TITLE_MAX = 200;
export const VIDEO_DESCRIPTION_MAX = 1000;
export const VIDEO_TAGS_MAX = 10;
export const VIDEO_TAG_MAX_LENGTH = 50;

/** How many characters PostgreSQL's `char_length` counts in `s`: Unicode code points. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * `Length(min, max)` counted in code points, as the videos schema's CHECKs (`char_length`) and the
 * service count. class-validator's `Length` (validator.js `isLength`) does not count the variation
 * selectors U+FE0E and U+FE0F: `"❤️"` is one character there and two in PostgreSQL, so 150 of them
 * passed a 200 limit and could not be stored whole. Registered as `isLength`, so the field error
 * is INVALID_LENGTH as with `Length`.
 */
export function CodePointLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isLength',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [min, max],
      options,
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string') return false;
          // Code points are at most as many as UTF-16 units and at least half as many.
          if (value.length < min || Math.ceil(value.length / 2) > max) return false;
          const n = codePointLength(value);
          return n >= min && n <= max;
        },
      },
    });
  };
}

const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/**
 * Body of `PATCH /videos/{video_id}` (spec: title <= 200, description <= 1000, tags <= 10).
 * Lengths are in characters (Unicode code points), as stored: what passes is stored whole.
 */
export class UpdateVideoDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: VIDEO_TITLE_MAX })
  @IsOptional()
  @IsString({ message: 'title must be a string' })
  @CodePointLength(1, VIDEO_TITLE_MAX, { message: `title must be between 1 and ${VIDEO_TITLE_MAX} characters` })
  title?: string;

  @ApiPropertyOptional({ maxLength: VIDEO_DESCRIPTION_MAX })
  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @CodePointLength(0, VIDEO_DESCRIPTION_MAX, { message: `description must be at most ${VIDEO_DESCRIPTION_MAX} characters` })
  description?: string;

  @ApiPropertyOptional({ type: [String], maxItems: VIDEO_TAGS_MAX })
  @IsOptional()
  @IsArray({ message: 'tags must be an array of strings' })
  @ArrayMaxSize(VIDEO_TAGS_MAX, { message: `At most ${VIDEO_TAGS_MAX} tags` })
  @IsString({ each: true, message: 'every tag must be a string' })
  @CodePointLength(1, VIDEO_TAG_MAX_LENGTH, { each: true, message: `every tag must be between 1 and ${VIDEO_TAG_MAX_LENGTH} characters` })
  tags?: string[];

  // Absent leaves it as it is; null is no answer to "public or not" (IsOptional would let it
  // through to a NOT NULL column: a 500).
  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean({ message: 'is_public must be true or false' })
  is_public?: boolean;
}

export const VIDEO_SORT_FIELDS = ['created_at', 'updated_at', 'title', 'file_size', 'duration_seconds', 'view_count', 'download_count'] as const;
export type VideoSortField = (typeof VIDEO_SORT_FIELDS)[number];

/** Query of `GET /videos`. */
export class ListVideosQueryDto extends CreatedRangeQueryDto {
  @ApiPropertyOptional({ enum: [VideoStatus.PROCESSING, VideoStatus.READY, VideoStatus.FAILED] })
  @IsOptional()
  @IsIn([VideoStatus.PROCESSING, VideoStatus.READY, VideoStatus.FAILED], { message: 'status must be one of: processing, ready, failed' })
  status?: VideoStatus;

  @ApiPropertyOptional({ enum: VideoFormat })
  @IsOptional()
  @IsEnum(VideoFormat, { message: `format must be one of: ${Object.values(VideoFormat).join(', ')}` })
  format?: VideoFormat;

  @ApiPropertyOptional({ maxLength: VIDEO_TAG_MAX_LENGTH })
  @IsOptional()
  @IsString({ message: 'tag must be a string' })
  @CodePointLength(1, VIDEO_TAG_MAX_LENGTH, { message: `tag must be between 1 and ${VIDEO_TAG_MAX_LENGTH} characters` })
  tag?: string;

  @ApiPropertyOptional({ enum: VIDEO_SORT_FIELDS, default: 'created_at' })
  @IsOptional()
  @IsIn(VIDEO_SORT_FIELDS, { message: `sort_by must be one of: ${VIDEO_SORT_FIELDS.join(', ')}` })
  sort_by: VideoSortField = 'created_at';
}

/** Query of `GET /videos/jobs/{job_id}/download` and `/stream`. */
/**
 * The parameters of a signed media link (from the metadata's `download_url`), which serve a
 * request without a token; checked by the gateway (403 when altered or expired), ignored with one.
 */
export class SignedLinkQueryDto {
  @ApiPropertyOptional({ description: 'Signed link: expiry, Unix seconds' })
  @IsOptional()
  @IsString({ message: 'expires must be text' })
  @MaxLength(20, { message: 'expires is not valid' })
  expires?: string;

  @ApiPropertyOptional({ description: 'Signed link: HMAC-SHA256, hex' })
  @IsOptional()
  @IsString({ message: 'signature must be text' })
  @MaxLength(128, { message: 'signature is not valid' })
  signature?: string;
}

export class VideoBytesQueryDto extends SignedLinkQueryDto {
  @ApiPropertyOptional({ description: 'Content-Disposition inline instead of attachment' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean({ message: 'inline must be true or false' })
  inline?: boolean;
}

/** Query of `GET /videos/jobs/{job_id}/thumbnail`. */
export class ThumbnailQueryDto extends SignedLinkQueryDto {
  @ApiPropertyOptional({ enum: THUMBNAIL_SIZES, default: 'medium' })
  @IsOptional()
  @IsIn(THUMBNAIL_SIZES, { message: `size must be one of: ${THUMBNAIL_SIZES.join(', ')}` })
  size: ThumbnailSize = 'medium';

  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: 'index must be a whole number' })
  @Min(0, { message: 'index must be between 0 and 99' })
  @Max(99, { message: 'index must be between 0 and 99' })
  index: number = 0;
}

/** Query of `GET /videos/jobs/{job_id}/subtitles/{language}`. */
export class SubtitleQueryDto extends SignedLinkQueryDto {
  @ApiPropertyOptional({ enum: SUBTITLE_FORMATS, default: 'srt' })
  @IsOptional()
  @IsIn(SUBTITLE_FORMATS, { message: `format must be one of: ${SUBTITLE_FORMATS.join(', ')}` })
  format: SubtitleFormat = 'srt';
}

/** Content type of each video format. */
export const VIDEO_CONTENT_TYPES: Record<VideoFormat, string> = {
  [VideoFormat.MP4]: 'video/mp4',
  [VideoFormat.WEBM]: 'video/webm',
  [VideoFormat.MOV]: 'video/quicktime',
  [VideoFormat.AVI]: 'video/x-msvideo',
  [VideoFormat.WMV]: 'video/x-ms-wmv',
  [VideoFormat.FLV]: 'video/x-flv',
};

/** Subtitle tracks are written in UTF-8 (a topic's text may be any script): the charset says so. */
export const SUBTITLE_CONTENT_TYPES: Record<SubtitleFormat, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
};
