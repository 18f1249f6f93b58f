import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** Bodies of `/api/v1/repositories/{org}/{repo}/retention…`: validated at the edge, documented in OpenAPI. */

const range = (field: string, max: number) => ({ message: `${field} must be an integer from 1 to ${max}` });

export class RetentionPolicyBodyDto {
  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 1000, description: 'keep the newest N tags by push time' })
  @IsOptional()
  @IsInt(range('keepLast', 1000))
  @Min(1, range('keepLast', 1000))
  @Max(1000, range('keepLast', 1000))
  keepLast?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 365, description: 'keep tags pushed within D days' })
  @IsOptional()
  @IsInt(range('keepDays', 365))
  @Min(1, range('keepDays', 365))
  @Max(365, range('keepDays', 365))
  keepDays?: number | null;

  @ApiPropertyOptional({ type: [String], description: 'regular expressions; a tag matching one whole is never removed (at most 20)' })
  @IsOptional()
  @IsArray({ message: 'exceptions must be an array of regular expressions' })
  @ArrayMaxSize(20, { message: 'at most 20 exceptions' })
  @IsString({ each: true, message: 'each exception must be a string' })
  @MaxLength(200, { each: true, message: 'an exception is at most 200 characters' })
  exceptions?: string[];

  @ApiPropertyOptional({ default: false, description: 'run every day on the retention schedule' })
  @IsOptional()
  @IsBoolean({ message: 'daily must be true or false' })
  daily?: boolean;
}

export class RetentionPolicyDto {
  @ApiProperty() repository!: string;
  @ApiProperty({ type: Number, nullable: true }) keepLast!: number | null;
  @ApiProperty({ type: Number, nullable: true }) keepDays!: number | null;
  @ApiProperty({ type: [String] }) exceptions!: string[];
  @ApiProperty() daily!: boolean;
  @ApiProperty({ type: String, nullable: true }) updatedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class RetentionRunBodyDto {
  @ApiPropertyOptional({ default: false, description: 'report the tags a run would remove, removing nothing' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}

export class RetentionRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() repository!: string;
  @ApiProperty({ enum: ['api', 'schedule'] }) trigger!: 'api' | 'schedule';
  @ApiProperty({ type: String, nullable: true }) requestedBy!: string | null;
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ type: [String], description: 'tags removed (a dry run: that would be removed)' }) removed!: string[];
  @ApiProperty({ description: 'tags kept' }) kept!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class RetentionRunPageDto {
  @ApiProperty({ type: [RetentionRunDto] }) items!: RetentionRunDto[];
  @ApiProperty() total!: number;
}
