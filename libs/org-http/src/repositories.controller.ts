import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService, UserRecord } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, onlyQuery, pageOf, pagination } from '@wharf/api-http';
import { CATEGORIES, Category, RepositoryService } from '@wharf/org-core';
import { NotFoundError, ValidationError } from '@wharf/util';
import { MemberDto, MemberPageDto, SetLevelDto } from './organizations.dto';
import {
  AuditPageDto,
  BatchDeleteTagsDto,
  CreateShareDto,
  DeletedTagsDto,
  RepositoryDto,
  RepositoryPageDto,
  ShareDto,
  SharePageDto,
  TagPageDto,
  UpdateRepositoryDto,
} from './repositories.dto';

function oneOf<T extends string>(query: Record<string, unknown>, field: string, allowed: readonly T[]): T | undefined {
  const v = query[field];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ValidationError(field, `${field} must be one of: ${allowed.join(', ')}`);
}

function text(query: Record<string, unknown>, field: string, max = 128): string | undefined {
  const v = query[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new ValidationError(field, `${field} must be a string of at most ${max} characters`);
  return v;
}

/** `/api/v1/repositories` (SPEC §12): repositories, their tags and shares. `{repo}` may be URL-encoded (`team%2Fapp`). */
@ApiTags('repositories')
@ApiBearerAuth()
@Controller('api/v1/repositories')
@UseGuards(JwtAuthGuard)
export class RepositoriesController {
  constructor(
    private readonly repos: RepositoryService,
    private readonly accounts: AccountService,
  ) {}

  private user(user: ApiUser): Promise<UserRecord> {
    return this.accounts.requireUser(user);
  }

  @Get()
  @ApiQuery({ name: 'org', required: false })
  @ApiQuery({ name: 'q', required: false })
  @ApiQuery({ name: 'category', required: false, enum: CATEGORIES })
  @ApiQuery({ name: 'visibility', required: false, enum: ['public', 'private'] })
  @ApiQuery({ name: 'filter', required: false, enum: ['mine', 'shared-with-me', 'shared-by-me'] })
  @ApiQuery({ name: 'sort', required: false, enum: ['name', 'updated', 'downloads'] })
  @ApiQuery({ name: 'page', required: false, type: Number })
  @ApiQuery({ name: 'pageSize', required: false, type: Number })
  @ApiOkResponse({ type: RepositoryPageDto })
  async list(@CurrentUser() user: ApiUser, @Query() query: Record<string, unknown>): Promise<RepositoryPageDto> {
    onlyQuery(query, ['org', 'q', 'category', 'visibility', 'filter', 'sort', 'page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    return this.repos.list(await this.user(user), {
      org: text(query, 'org', 64),
      q: text(query, 'q'),
      category: oneOf<Category>(query, 'category', CATEGORIES),
      visibility: oneOf(query, 'visibility', ['public', 'private'] as const),
      filter: oneOf(query, 'filter', ['mine', 'shared-with-me', 'shared-by-me'] as const),
      sort: oneOf(query, 'sort', ['name', 'updated', 'downloads'] as const) ?? 'name',
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
  }

  @Get(':org/:repo')
  @ApiOkResponse({ type: RepositoryDto })
  async get(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string): Promise<RepositoryDto> {
    return this.repos.get(await this.user(user), `${org}/${repo}`);
  }

  @Patch(':org/:repo')
  @ApiOkResponse({ type: RepositoryDto })
  async update(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Body() body: UpdateRepositoryDto): Promise<RepositoryDto> {
    return this.repos.update(await this.user(user), `${org}/${repo}`, body, clientAddress(req));
  }

  @Delete(':org/:repo')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string): Promise<void> {
    await this.repos.delete(await this.user(user), `${org}/${repo}`, clientAddress(req));
  }

  @Get(':org/:repo/tags')
  @ApiQuery({ name: 'q', required: false })
  @ApiQuery({ name: 'sort', required: false, enum: ['name', 'time'] })
  @ApiQuery({ name: 'page', required: false, type: Number })
  @ApiQuery({ name: 'pageSize', required: false, type: Number })
  @ApiOkResponse({ type: TagPageDto })
  async tags(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: Record<string, unknown>): Promise<TagPageDto> {
    onlyQuery(query, ['q', 'sort', 'page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    const sort = oneOf(query, 'sort', ['name', 'time'] as const) ?? 'time';
    return this.repos.tags(await this.user(user), `${org}/${repo}`, text(query, 'q'), sort, page, pageSize);
  }

  @Post(':org/:repo/tags\\:batchDelete')
  @HttpCode(200)
  @ApiOkResponse({ type: DeletedTagsDto })
  async batchDelete(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Body() body: BatchDeleteTagsDto): Promise<DeletedTagsDto> {
    return this.repos.deleteTags(await this.user(user), `${org}/${repo}`, body.tags, clientAddress(req));
  }

  @Delete(':org/:repo/tags/:tag')
  @HttpCode(204)
  @ApiNoContentResponse()
  async deleteTag(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Param('tag') tag: string): Promise<void> {
    await this.repos.deleteTags(await this.user(user), `${org}/${repo}`, [tag], clientAddress(req));
  }

  @Get(':org/:repo/members')
  @ApiOkResponse({ type: MemberPageDto })
  async members(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: Record<string, unknown>): Promise<MemberPageDto> {
    return pageOf(await this.repos.members(await this.user(user), `${org}/${repo}`), query);
  }

  @Get(':org/:repo/members/:username')
  @ApiOkResponse({ type: MemberDto })
  async member(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Param('username') username: string): Promise<MemberDto> {
    const all = await this.repos.members(await this.user(user), `${org}/${repo}`);
    const found = all.items.find((m) => m.username === username);
    if (!found) throw new NotFoundError(`${username} has no grant on ${org}/${repo}`);
    return found;
  }

  @Put(':org/:repo/members/:username')
  @ApiOkResponse({ type: MemberDto })
  async setMember(
    @Req() req: Request, @CurrentUser() user: ApiUser,
    @Param('org') org: string,
    @Param('repo') repo: string,
    @Param('username') username: string,
    @Body() body: SetLevelDto,
  ): Promise<MemberDto> {
    return this.repos.setMember(await this.user(user), `${org}/${repo}`, username, body.level, clientAddress(req));
  }

  @Delete(':org/:repo/members/:username')
  @HttpCode(204)
  @ApiNoContentResponse()
  async removeMember(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Param('username') username: string): Promise<void> {
    await this.repos.removeMember(await this.user(user), `${org}/${repo}`, username, clientAddress(req));
  }

  @Post(':org/:repo/shares')
  @HttpCode(201)
  @ApiCreatedResponse({ type: ShareDto })
  async share(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Body() body: CreateShareDto): Promise<ShareDto> {
    return this.repos.share(await this.user(user), `${org}/${repo}`, body, clientAddress(req));
  }

  @Get(':org/:repo/shares')
  @ApiOkResponse({ type: SharePageDto })
  async shares(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: Record<string, unknown>): Promise<SharePageDto> {
    return pageOf(await this.repos.shares(await this.user(user), `${org}/${repo}`), query);
  }

  @Delete(':org/:repo/shares/:account')
  @HttpCode(204)
  @ApiNoContentResponse()
  async unshare(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Param('account') account: string): Promise<void> {
    await this.repos.unshare(await this.user(user), `${org}/${repo}`, account, clientAddress(req));
  }
}

/** `/api/v1/audit-events?from=&to=&actor=&action=&resource=` (owners: their account; administrators: all). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit-events')
@UseGuards(JwtAuthGuard)
export class AuditController {
  constructor(
    private readonly repos: RepositoryService,
    private readonly accounts: AccountService,
  ) {}

  @Get()
  @ApiQuery({ name: 'from', required: false, description: 'ISO date-time' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO date-time' })
  @ApiQuery({ name: 'actor', required: false })
  @ApiQuery({ name: 'action', required: false })
  @ApiQuery({ name: 'resource', required: false })
  @ApiQuery({ name: 'page', required: false, type: Number })
  @ApiQuery({ name: 'pageSize', required: false, type: Number })
  @ApiOkResponse({ type: AuditPageDto })
  async search(@CurrentUser() user: ApiUser, @Query() query: Record<string, unknown>): Promise<AuditPageDto> {
    onlyQuery(query, ['from', 'to', 'actor', 'action', 'resource', 'page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    const date = (field: string) => {
      const v = text(query, field, 64);
      if (v === undefined) return undefined;
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) throw new ValidationError(field, `${field} must be an ISO date-time`);
      return d;
    };
    return this.repos.searchAudit(await this.accounts.requireUser(user), {
      from: date('from'),
      to: date('to'),
      actor: text(query, 'actor'),
      action: text(query, 'action'),
      resource: text(query, 'resource', 512),
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
  }
}
