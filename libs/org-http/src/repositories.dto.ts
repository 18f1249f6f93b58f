import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString } from 'class-validator';
import { CATEGORIES, Category, RepoView } from '@wharf/org-core';

/** Request and response bodies of `/api/v1/repositories` and `/api/v1/audit-events`: validated at the edge, documented in OpenAPI. */

const VISIBILITIES = ['public', 'private'] as const;

export class UpdateRepositoryDto {
  @ApiPropertyOptional({ description: 'at most 30,000 characters (Markdown)' })
  @IsOptional()
  @IsString()
  description?: string;

  @ApiPropertyOptional({ enum: CATEGORIES })
  @IsOptional()
  @IsIn(CATEGORIES)
  category?: Category;

  @ApiPropertyOptional({ enum: VISIBILITIES, description: 'needs manage; unset it to follow the organization' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: 'public' | 'private';
}

export class ShareStateDto {
  @ApiProperty({ format: 'date-time', nullable: true }) deadline!: string | null;
  @ApiProperty() expired!: boolean;
}

export class RepositoryDto implements RepoView {
  @ApiProperty({ description: '<organization>/<repository>' }) name!: string;
  @ApiProperty() organization!: string;
  @ApiProperty({ description: 'the image address, <registry host>/<name>' }) address!: string;
  @ApiProperty() pullCommand!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: CATEGORIES }) category!: Category;
  @ApiProperty({ enum: VISIBILITIES }) visibility!: 'public' | 'private';
  @ApiProperty() tagCount!: number;
  @ApiProperty({ description: 'bytes' }) size!: number;
  @ApiProperty() downloadCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiPropertyOptional({ type: ShareStateDto, description: "in lists: shared with the caller's account" }) share?: ShareStateDto;
}

export class RepositoryPageDto {
  @ApiProperty({ type: [RepositoryDto] }) items!: RepositoryDto[];
  @ApiProperty() total!: number;
}

export class TagDto {
  @ApiProperty() tag!: string;
  @ApiProperty() digest!: string;
  @ApiProperty() mediaType!: string;
  @ApiProperty({ description: 'bytes' }) size!: number;
  @ApiProperty({ type: [String], description: 'os/architecture[/variant] of each image of an index' }) platforms!: string[];
  @ApiProperty({ format: 'date-time' }) pushedAt!: string;
  @ApiProperty({ nullable: true }) pushedBy!: string | null;
  @ApiProperty() downloadCount!: number;
  @ApiProperty() pullCommand!: string;
}

export class TagPageDto {
  @ApiProperty({ type: [TagDto] }) items!: TagDto[];
  @ApiProperty() total!: number;
}

export class BatchDeleteTagsDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  tags!: string[];
}

export class DeletedTagsDto {
  @ApiProperty({ type: [String] }) deleted!: string[];
}

export class CreateShareDto {
  @ApiProperty({ description: 'the account to share with' })
  @IsString()
  account!: string;

  @ApiProperty({ description: 'an ISO date in the future, or "forever"' })
  @IsString()
  deadline!: string;

  @ApiPropertyOptional({ description: 'at most 1,000 characters' })
  @IsOptional()
  @IsString()
  description?: string;

  @ApiPropertyOptional({ enum: ['pull'], default: 'pull' })
  @IsOptional()
  @IsIn(['pull'])
  permission?: 'pull';
}

export class ShareDto {
  @ApiProperty() account!: string;
  @ApiProperty({ description: 'ISO date-time or "forever"' }) deadline!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: ['pull'] }) permission!: string;
}

export class ListedShareDto extends ShareDto {
  @ApiProperty() expired!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class SharePageDto {
  @ApiProperty({ type: [ListedShareDto] }) items!: ListedShareDto[];
  @ApiProperty() total!: number;
}

export class AuditEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ nullable: true }) accountId!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty() resource!: string;
  @ApiProperty({ enum: ['success', 'failure'] }) result!: string;
  @ApiProperty({ nullable: true }) clientAddress!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) detail!: Record<string, unknown> | null;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty() total!: number;
}
