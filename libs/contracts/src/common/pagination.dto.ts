import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsInstant, QueryInt } from './validators.js';

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/**
 * The highest page a list answers. The spec sets only a minimum; without a ceiling a page such as
 * 99999999999999999999 made an offset PostgreSQL cannot hold (a 500). A million pages of 100 is
 * far beyond any list here.
 */
export const MAX_PAGE = 1_000_000;

/**
 * Page, page size and offset as a service uses them, whatever a caller over NATS sent: whole
 * numbers within the spec's bounds (the gateway already refuses anything else with a 422).
 */
export function pageWindow(page: unknown, itemsPerPage: unknown): { page: number; per: number; offset: number } {
  const whole = (v: unknown, dflt: number, max: number) => {
    const n = Math.floor(Number(v));
    return Number.isFinite(n) ? Math.min(max, Math.max(1, n)) : dflt;
  };
  const p = whole(page, 1, MAX_PAGE);
  const per = whole(itemsPerPage, 10, 100);
  return { page: p, per, offset: (p - 1) * per };
}

/** Query parameters of every list (spec: Pagination Validation). */
export class PaginationQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: 'page must be a whole number' })
  @Min(1, { message: 'page must be at least 1' })
  @Max(MAX_PAGE, { message: `page must be at most ${MAX_PAGE}` })
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: 'items_per_page must be a whole number' })
  @Min(1, { message: 'items_per_page must be between 1 and 100' })
  @Max(100, { message: 'items_per_page must be between 1 and 100' })
  items_per_page: number = 10;

  @ApiPropertyOptional({ enum: SORT_ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(SORT_ORDERS, { message: 'sort_order must be "asc" or "desc"' })
  sort_order: SortOrder = 'desc';
}

/** A page of a list that can be narrowed to a creation time range. */
export class CreatedRangeQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsInstant({ message: 'created_after must be an ISO 8601 date or date-time (years 1-9999)' })
  created_after?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsInstant({ message: 'created_before must be an ISO 8601 date or date-time (years 1-9999)' })
  created_before?: string;
}
