import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, PageQueryDto } from '@wharf/api-http';
import { RetentionService } from '@wharf/gc-core';
import { RetentionPolicyBodyDto, RetentionPolicyDto, RetentionRunBodyDto, RetentionRunDto, RetentionRunPageDto } from './retention.dto';

/**
 * `/api/v1/repositories/{org}/{repo}/retention` (SPEC §9): the repository's tag retention policy,
 * runs (`retention:run`, or a dry run) and their history; repository managers only.
 */
@ApiTags('repositories')
@ApiBearerAuth()
@Controller('api/v1/repositories')
@UseGuards(JwtAuthGuard)
export class RetentionController {
  constructor(
    private readonly retention: RetentionService,
    private readonly accounts: AccountService,
  ) {}

  @Get(':org/:repo/retention')
  @ApiOkResponse({ type: RetentionPolicyDto })
  async get(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string): Promise<RetentionPolicyDto> {
    return this.retention.getPolicy(await this.accounts.requireUser(user), `${org}/${repo}`);
  }

  @Put(':org/:repo/retention')
  @ApiOkResponse({ type: RetentionPolicyDto })
  async put(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Body() body: RetentionPolicyBodyDto): Promise<RetentionPolicyDto> {
    const rules = { keepLast: body.keepLast ?? null, keepDays: body.keepDays ?? null, exceptions: body.exceptions ?? [], daily: body.daily ?? false };
    return this.retention.setPolicy(await this.accounts.requireUser(user), `${org}/${repo}`, rules, clientAddress(req));
  }

  @Post(':org/:repo/retention\\:run')
  @HttpCode(200)
  @ApiOkResponse({ type: RetentionRunDto, description: 'the run, done: the tags it removed' })
  async run(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Body() body: RetentionRunBodyDto): Promise<RetentionRunDto> {
    return this.retention.run(await this.accounts.requireUser(user), `${org}/${repo}`, body.dryRun ?? false, clientAddress(req));
  }

  @Get(':org/:repo/retention/runs')
  @ApiOkResponse({ type: RetentionRunPageDto })
  async runs(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: PageQueryDto): Promise<RetentionRunPageDto> {
    return this.retention.history(await this.accounts.requireUser(user), `${org}/${repo}`, query.offset, query.pageSize);
  }
}
