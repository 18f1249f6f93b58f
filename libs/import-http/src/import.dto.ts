import { ApiProperty } from '@nestjs/swagger';

/** Response bodies of `/api/v1/uploads` (the request is multipart: see the controller). */

export class ImportedImageDto {
  @ApiProperty({ example: 'team/app' }) repository!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ description: 'what the tags point at: a manifest, or an index for a multi-platform image' }) digest!: string;
}

export class UploadDto {
  @ApiProperty({ format: 'uuid', description: 'the job id of this file' }) id!: string;
  @ApiProperty() organization!: string;
  @ApiProperty() fileName!: string;
  @ApiProperty() uploadedBy!: string;
  @ApiProperty({ enum: ['receiving', 'queued', 'importing', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ type: String, enum: ['verifying', 'storing'], nullable: true, description: 'while importing: the pass over the archive' }) phase!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'size of the uploaded file' }) bytesTotal!: number | null;
  @ApiProperty({ description: 'bytes of the archive processed in the current phase' }) bytesDone!: number;
  @ApiProperty({ type: [ImportedImageDto] }) images!: ImportedImageDto[];
  @ApiProperty({ type: String, nullable: true, example: 'invalid image format: duplicate entry "manifest.json"' }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class UploadBatchDto {
  @ApiProperty({ type: [UploadDto], description: 'one per file, in the order they were sent; imported in that order' }) uploads!: UploadDto[];
}
