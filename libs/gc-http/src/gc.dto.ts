import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

/** Request and response bodies of `/api/v1/gc/runs`: validated at the edge, documented in OpenAPI. */

export class CreateGcRunDto {
  @ApiPropertyOptional({ default: false, description: 'report what a run would remove, removing nothing' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'keep manifests that no tag, index or subject keeps (default: WHARF_GC_KEEP_UNTAGGED)' })
  @IsOptional()
  @IsBoolean({ message: 'keepUntagged must be true or false' })
  keepUntagged?: boolean;
}

export class GcRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['api', 'schedule'] }) trigger!: 'api' | 'schedule';
  @ApiProperty({ type: String, nullable: true, description: 'who asked for it; null for a scheduled run' }) requestedBy!: string | null;
  @ApiProperty({ description: 'a dry run removed nothing: its counts are what a run would remove' }) dryRun!: boolean;
  @ApiProperty() keepUntagged!: boolean;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'] }) status!: 'queued' | 'running' | 'succeeded' | 'failed';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'seconds from start to finish (so far, while running)' }) durationSeconds!: number | null;
  @ApiProperty({ description: 'blobs deleted from storage' }) blobsRemoved!: number;
  @ApiProperty({ description: 'bytes of storage the removed blobs took' }) bytesFreed!: number;
  @ApiProperty({ description: 'untagged manifests removed' }) manifestsRemoved!: number;
  @ApiProperty({ description: 'abandoned upload sessions removed with their bytes' }) uploadsRemoved!: number;
  @ApiProperty({ type: [String] }) errors!: string[];
}

export class GcRunPageDto {
  @ApiProperty({ type: [GcRunDto] }) items!: GcRunDto[];
  @ApiProperty() total!: number;
}
