import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, PageQueryDto } from '@wharf/api-http';
import { GcRunService } from '@wharf/gc-core';
import { CreateGcRunDto, GcRunDto, GcRunPageDto } from './gc.dto';

/** `/api/v1/gc/runs` (SPEC §9, §12): garbage-collection runs, for system administrators. */
@ApiTags('garbage collection')
@ApiBearerAuth()
@Controller('api/v1/gc/runs')
@UseGuards(JwtAuthGuard)
export class GcController {
  constructor(
    private readonly runs: GcRunService,
    private readonly accounts: AccountService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: GcRunDto, description: 'queued; poll GET /api/v1/gc/runs/{id}' })
  async create(@Req() req: Request, @CurrentUser() user: ApiUser, @Body() body: CreateGcRunDto): Promise<GcRunDto> {
    return this.runs.request(await this.accounts.requireUser(user), body, clientAddress(req));
  }

  @Get()
  @ApiOkResponse({ type: GcRunPageDto })
  async list(@CurrentUser() user: ApiUser, @Query() query: PageQueryDto): Promise<GcRunPageDto> {
    return this.runs.list(await this.accounts.requireUser(user), query.offset, query.pageSize);
  }

  @Get(':id')
  @ApiOkResponse({ type: GcRunDto })
  async get(@CurrentUser() user: ApiUser, @Param('id') id: string): Promise<GcRunDto> {
    return this.runs.get(await this.accounts.requireUser(user), id);
  }
}
