import { Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard } from '@wharf/api-http';
import { ImportService } from '@wharf/import-core';
import { UploadBatchDto, UploadDto } from './import.dto';
import { receiveUpload } from './multipart-upload';

/** `/api/v1/uploads` (SPEC §6, §12): page upload of `docker save` and OCI archives. */
@ApiTags('page upload')
@ApiBearerAuth()
@Controller('api/v1/uploads')
@UseGuards(JwtAuthGuard)
export class UploadsController {
  constructor(
    private readonly imports: ImportService,
    private readonly accounts: AccountService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['org', 'files'],
      properties: {
        org: { type: 'string', description: 'the organization to import into (send it before the files)' },
        files: { type: 'array', maxItems: 10, items: { type: 'string', format: 'binary' }, description: '.tar or .tar.gz archives, each ≤ 2 GiB' },
      },
    },
  })
  @ApiAcceptedResponse({ type: UploadBatchDto, description: 'stored and queued; poll GET /api/v1/uploads/{id} for each file' })
  async create(@Req() req: Request, @CurrentUser() user: ApiUser): Promise<UploadBatchDto> {
    const caller = await this.accounts.requireUser(user);
    try {
      const uploads = await receiveUpload(req, { begin: (org, declared) => this.imports.begin(caller, org, declared), clientAddress: clientAddress(req) });
      return { uploads };
    } catch (err) {
      // The rest of the body is not read: the connection goes with the answer.
      if (!req.complete) req.res?.setHeader('Connection', 'close');
      throw err;
    }
  }

  @Get(':id')
  @ApiOkResponse({ type: UploadDto })
  async get(@CurrentUser() user: ApiUser, @Param('id') id: string): Promise<UploadDto> {
    return this.imports.get(await this.accounts.requireUser(user), id);
  }
}
