import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService, UserRecord } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, PageQueryDto, pageOf } from '@wharf/api-http';
import { RepositoryService } from '@wharf/org-core';
import { NotFoundError } from '@wharf/util';
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
import { AuditQueryDto, RepositoryListQueryDto, TagListQueryDto } from './queries.dto';

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
  @ApiOkResponse({ type: RepositoryPageDto })
  async list(@CurrentUser() user: ApiUser, @Query() query: RepositoryListQueryDto): Promise<RepositoryPageDto> {
    const { org, q, category, visibility, filter, sort } = query;
    return this.repos.list(await this.user(user), { org, q, category, visibility, filter, sort, offset: query.offset, limit: query.pageSize });
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
  @ApiOkResponse({ type: TagPageDto })
  async tags(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: TagListQueryDto): Promise<TagPageDto> {
    return this.repos.tags(await this.user(user), `${org}/${repo}`, query.q, query.sort, query.page, query.pageSize);
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
  async members(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: PageQueryDto): Promise<MemberPageDto> {
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
  async shares(@CurrentUser() user: ApiUser, @Param('org') org: string, @Param('repo') repo: string, @Query() query: PageQueryDto): Promise<SharePageDto> {
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
  @ApiOkResponse({ type: AuditPageDto })
  async search(@CurrentUser() user: ApiUser, @Query() query: AuditQueryDto): Promise<AuditPageDto> {
    const { from, to, actor, action, resource } = query;
    return this.repos.searchAudit(await this.accounts.requireUser(user), { from, to, actor, action, resource, offset: query.offset, limit: query.pageSize });
  }

}
