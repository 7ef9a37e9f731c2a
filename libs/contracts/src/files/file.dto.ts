import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEnum, IsOptional, IsString, Length, MaxLength, registerDecorator, type ValidationOptions } from 'class-validator';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import { FileType } from './file.enums.js';
import { FILE_TAG_MAX_LENGTH, FILE_TAGS_MAX, unsafeNameReason } from './file-rules.js';

/** A single safe path segment chosen by a client (no separators, `..`, NUL, encoded variants). */
export function IsSafeName(options?: ValidationOptions, max = 100): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isSafeName',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: { validate: (value: unknown) => unsafeNameReason(value, max) === null },
    });
  };
}

/** The form fields beside the file of `POST /files/upload` (multipart; checked like a body). */
export class UploadFieldsDto {
  @ApiPropertyOptional({ enum: FileType, description: 'What the client expects; the content decides' })
  @IsOptional()
  @IsEnum(FileType, { message: `file_type must be one of: ${Object.values(FileType).join(', ')}` })
  file_type?: FileType;

  @ApiPropertyOptional({ maxLength: 100, description: 'A label to group files; one name, no path' })
  @IsOptional()
  @IsString({ message: 'subdirectory must be a string' })
  @IsSafeName({ message: 'subdirectory must be one name of at most 100 characters without /, \\, .., NUL or encoded variants' })
  subdirectory?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(1000, { message: 'description must be at most 1000 characters' })
  description?: string;

  @ApiPropertyOptional({ type: [String], maxItems: FILE_TAGS_MAX, description: 'Repeated fields or comma-separated' })
  @IsOptional()
  @IsArray({ message: 'tags must be a list of strings' })
  @ArrayMaxSize(FILE_TAGS_MAX, { message: `At most ${FILE_TAGS_MAX} tags per file` })
  @IsString({ each: true, message: 'every tag must be a string' })
  @Length(1, FILE_TAG_MAX_LENGTH, { each: true, message: `every tag must be between 1 and ${FILE_TAG_MAX_LENGTH} characters` })
  tags?: string[];
}

/** Query of `GET /files`. */
export class ListFilesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: FileType })
  @IsOptional()
  @IsEnum(FileType, { message: `file_type must be one of: ${Object.values(FileType).join(', ')}` })
  file_type?: FileType;
}
