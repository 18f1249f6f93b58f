import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import type { CreatedRobot, OrgView } from '@wharf/org-core';

/** Request and response bodies of `/api/v1/organizations`: validated at the edge, documented in OpenAPI. */

const VISIBILITIES = ['public', 'private'] as const;
export const LEVELS = ['read', 'edit', 'manage'] as const;

export class CreateOrganizationDto {
  @ApiProperty({ description: 'starts with a lowercase letter; lowercase letters and digits separated by ".", "_", "__" or "-"' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'private' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: 'public' | 'private';
}

export class UpdateOrganizationDto {
  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: 'public' | 'private';

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'system administrators only; null removes the quota' })
  @IsOptional()
  @IsInt()
  @Min(0)
  storageQuotaBytes?: number | null;
}

export class OrganizationDto implements OrgView {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: VISIBILITIES }) visibility!: 'public' | 'private';
  @ApiProperty() accountId!: string;
  @ApiProperty({ type: 'integer', nullable: true }) storageQuotaBytes!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() repositoryCount!: number;
  @ApiProperty({ enum: LEVELS, nullable: true, description: "the caller's level; null when the organization is only public to them" })
  myLevel!: string | null;
}

export class OrganizationPageDto {
  @ApiProperty({ type: [OrganizationDto] }) items!: OrganizationDto[];
  @ApiProperty() total!: number;
}

export class UsageDto {
  @ApiProperty() organization!: string;
  @ApiProperty({ type: 'integer', nullable: true }) storageQuotaBytes!: number | null;
  @ApiProperty() usedBytes!: number;
  @ApiProperty() repositoryCount!: number;
}

export class SetLevelDto {
  @ApiProperty({ enum: LEVELS })
  @IsIn(LEVELS)
  level!: 'read' | 'edit' | 'manage';
}

export class MemberDto {
  @ApiProperty() username!: string;
  @ApiProperty({ enum: LEVELS }) level!: string;
}

export class MemberPageDto {
  @ApiProperty({ type: [MemberDto] }) items!: MemberDto[];
  @ApiProperty() total!: number;
}

export class CreateRobotDto {
  @ApiProperty({ description: '1-64 lowercase letters and digits separated by ".", "_" or "-"' })
  @IsString()
  name!: string;

  @ApiProperty({ enum: LEVELS })
  @IsIn(LEVELS)
  level!: 'read' | 'edit' | 'manage';

  @ApiPropertyOptional({ format: 'date-time', nullable: true, description: 'in the future; none: never expires' })
  @IsOptional()
  @IsString()
  expiresAt?: string | null;
}

export class CreatedRobotDto implements CreatedRobot {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'robot$<organization>+<name>' }) username!: string;
  @ApiProperty({ description: 'shown once' }) secret!: string;
  @ApiProperty({ enum: LEVELS }) level!: string;
  @ApiProperty({ format: 'date-time', nullable: true }) expiresAt!: string | null;
}

export class RobotDto {
  @ApiProperty() name!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: LEVELS }) level!: string;
  @ApiProperty({ format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class RobotPageDto {
  @ApiProperty({ type: [RobotDto] }) items!: RobotDto[];
  @ApiProperty() total!: number;
}

export class EnabledDto {
  @ApiProperty()
  @IsBoolean()
  enabled!: boolean;
}

export class RobotStateDto {
  @ApiProperty() name!: string;
  @ApiProperty() enabled!: boolean;
}
