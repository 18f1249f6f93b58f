import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

const integer = (field: string, max: number) => ({ message: `${field} must be an integer from 1 to ${max}` });

/**
 * `page` (from 1) and `pageSize` (1–100, default 20): the query of every list endpoint, validated
 * by the one ValidationPipe like a body (unknown parameters refused by name). List queries with
 * filters extend it.
 */
export class PageQueryDto {
  @ApiPropertyOptional({ type: Number, minimum: 1, default: 1 })
  @Type(() => Number)
  @IsInt(integer('page', 1_000_000))
  @Min(1, integer('page', 1_000_000))
  @Max(1_000_000, integer('page', 1_000_000))
  page = 1;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: 100, default: 20 })
  @Type(() => Number)
  @IsInt(integer('pageSize', 100))
  @Min(1, integer('pageSize', 100))
  @Max(100, integer('pageSize', 100))
  pageSize = 20;

  /** Rows to skip for this page. */
  get offset(): number {
    return (this.page - 1) * this.pageSize;
  }
}

/** Pages an in-memory list (short lists: members, robots, keys) with the same query rules. */
export function pageOf<T>(all: { items: T[]; total: number }, query: PageQueryDto): { items: T[]; total: number } {
  return { items: all.items.slice(query.offset, query.offset + query.pageSize), total: all.total };
}
