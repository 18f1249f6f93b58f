import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '@wharf/api-http';
import { CATEGORIES, Category } from '@wharf/org-core';

const text = (field: string, max: number) => ({ message: `${field} must be a string of at most ${max} characters` });
const oneOf = (field: string, allowed: readonly string[]) => ({ message: `${field} must be one of: ${allowed.join(', ')}` });

const VISIBILITIES = ['public', 'private'] as const;
const FILTERS = ['mine', 'shared-with-me', 'shared-by-me'] as const;
const REPOSITORY_SORTS = ['name', 'updated', 'downloads'] as const;
const TAG_SORTS = ['name', 'time'] as const;

/** `GET /repositories`: filters, search, sort and page. */
export class RepositoryListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, description: 'only this organization' })
  @IsOptional()
  @IsString(text('org', 64))
  @MaxLength(64, text('org', 64))
  org?: string;

  @ApiPropertyOptional({ type: String, description: 'name contains' })
  @IsOptional()
  @IsString(text('q', 128))
  @MaxLength(128, text('q', 128))
  q?: string;

  @ApiPropertyOptional({ enum: CATEGORIES })
  @IsOptional()
  @IsIn(CATEGORIES, oneOf('category', CATEGORIES))
  category?: Category;

  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES, oneOf('visibility', VISIBILITIES))
  visibility?: (typeof VISIBILITIES)[number];

  @ApiPropertyOptional({ enum: FILTERS })
  @IsOptional()
  @IsIn(FILTERS, oneOf('filter', FILTERS))
  filter?: (typeof FILTERS)[number];

  @ApiPropertyOptional({ enum: REPOSITORY_SORTS, default: 'name' })
  @IsIn(REPOSITORY_SORTS, oneOf('sort', REPOSITORY_SORTS))
  sort: (typeof REPOSITORY_SORTS)[number] = 'name';
}

/** `GET /repositories/{org}/{repo}/tags`: search, sort (newest first by default) and page. */
export class TagListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, description: 'tag contains' })
  @IsOptional()
  @IsString(text('q', 128))
  @MaxLength(128, text('q', 128))
  q?: string;

  @ApiPropertyOptional({ enum: TAG_SORTS, default: 'time' })
  @IsIn(TAG_SORTS, oneOf('sort', TAG_SORTS))
  sort: (typeof TAG_SORTS)[number] = 'time';
}

/** A date-time query parameter: a string (at most 64 characters) that parses as a date. */
function DateQuery(field: string): PropertyDecorator {
  return (target, key) => {
    ApiPropertyOptional({ type: String, format: 'date-time' })(target, key);
    IsOptional()(target, key);
    Type(() => Date)(target, key);
    IsDate({ message: `${field} must be an ISO date-time` })(target, key);
  };
}

/** `GET /audit-events`: time range, who, what, on what; page. */
export class AuditQueryDto extends PageQueryDto {
  @DateQuery('from')
  from?: Date;

  @DateQuery('to')
  to?: Date;

  @ApiPropertyOptional({ type: String })
  @IsOptional()
  @IsString(text('actor', 128))
  @MaxLength(128, text('actor', 128))
  actor?: string;

  @ApiPropertyOptional({ type: String, example: 'share.create' })
  @IsOptional()
  @IsString(text('action', 128))
  @MaxLength(128, text('action', 128))
  action?: string;

  @ApiPropertyOptional({ type: String, description: 'organization, repository or repository:tag' })
  @IsOptional()
  @IsString(text('resource', 512))
  @MaxLength(512, text('resource', 512))
  resource?: string;
}

/** `DELETE /organizations/{org}`: `cascade=true` deletes its repositories too. */
export class OrganizationDeleteQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: 'delete its repositories too' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'cascade must be true or false' })
  cascade?: 'true' | 'false';
}
