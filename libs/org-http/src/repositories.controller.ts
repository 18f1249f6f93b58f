import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { AccountService, UserRecord } from '@wharf/auth-core';
import { ApiErrorFilter, ApiUser, bodyObject, clientAddress, JwtAuthGuard, onlyQuery, pageOf, pagination } from '@wharf/auth-http';
import { CATEGORIES, Category, RepositoryService, RepoView } from '@wharf/org-core';
import { NotFoundError, ValidationError } from '@wharf/util';

type AuthedRequest = Request & { user: ApiUser };

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
@Controller('api/v1/repositories')
@UseFilters(ApiErrorFilter)
@UseGuards(JwtAuthGuard)
export class RepositoriesController {
  constructor(
    private readonly repos: RepositoryService,
    private readonly accounts: AccountService,
  ) {}

  private user(req: AuthedRequest): Promise<UserRecord> {
    return this.accounts.requireUser(req.user);
  }

  @Get()
  async list(@Req() req: AuthedRequest, @Query() query: Record<string, unknown>): Promise<{ items: RepoView[]; total: number }> {
    onlyQuery(query, ['org', 'q', 'category', 'visibility', 'filter', 'sort', 'page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    return this.repos.list(await this.user(req), {
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
  async get(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string): Promise<RepoView> {
    return this.repos.get(await this.user(req), `${org}/${repo}`);
  }

  @Patch(':org/:repo')
  async update(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Body() raw: unknown): Promise<RepoView> {
    const body = bodyObject(raw, ['description', 'category', 'visibility']);
    return this.repos.update(await this.user(req), `${org}/${repo}`, body, clientAddress(req));
  }

  @Delete(':org/:repo')
  @HttpCode(204)
  async remove(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string): Promise<void> {
    await this.repos.delete(await this.user(req), `${org}/${repo}`, clientAddress(req));
  }

  @Get(':org/:repo/tags')
  async tags(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Query() query: Record<string, unknown>): Promise<object> {
    onlyQuery(query, ['q', 'sort', 'page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    const sort = oneOf(query, 'sort', ['name', 'time'] as const) ?? 'time';
    return this.repos.tags(await this.user(req), `${org}/${repo}`, text(query, 'q'), sort, page, pageSize);
  }

  @Post(':org/:repo/tags\\:batchDelete')
  @HttpCode(200)
  async batchDelete(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Body() raw: unknown): Promise<{ deleted: string[] }> {
    const body = bodyObject(raw, ['tags']);
    return this.repos.deleteTags(await this.user(req), `${org}/${repo}`, body['tags'], clientAddress(req));
  }

  @Delete(':org/:repo/tags/:tag')
  @HttpCode(204)
  async deleteTag(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Param('tag') tag: string): Promise<void> {
    await this.repos.deleteTags(await this.user(req), `${org}/${repo}`, [tag], clientAddress(req));
  }

  @Get(':org/:repo/members')
  async members(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Query() query: Record<string, unknown>): Promise<object> {
    return pageOf(await this.repos.members(await this.user(req), `${org}/${repo}`), query);
  }

  @Get(':org/:repo/members/:username')
  async member(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Param('username') username: string): Promise<object> {
    const all = await this.repos.members(await this.user(req), `${org}/${repo}`);
    const found = all.items.find((m) => m.username === username);
    if (!found) throw new NotFoundError(`${username} has no grant on ${org}/${repo}`);
    return found;
  }

  @Put(':org/:repo/members/:username')
  async setMember(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Param('username') username: string, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['level']);
    return this.repos.setMember(await this.user(req), `${org}/${repo}`, username, body['level'], clientAddress(req));
  }

  @Delete(':org/:repo/members/:username')
  @HttpCode(204)
  async removeMember(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Param('username') username: string): Promise<void> {
    await this.repos.removeMember(await this.user(req), `${org}/${repo}`, username, clientAddress(req));
  }

  @Post(':org/:repo/shares')
  @HttpCode(201)
  async share(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['account', 'deadline', 'description', 'permission']);
    return this.repos.share(await this.user(req), `${org}/${repo}`, body, clientAddress(req));
  }

  @Get(':org/:repo/shares')
  async shares(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Query() query: Record<string, unknown>): Promise<object> {
    return pageOf(await this.repos.shares(await this.user(req), `${org}/${repo}`), query);
  }

  @Delete(':org/:repo/shares/:account')
  @HttpCode(204)
  async unshare(@Req() req: AuthedRequest, @Param('org') org: string, @Param('repo') repo: string, @Param('account') account: string): Promise<void> {
    await this.repos.unshare(await this.user(req), `${org}/${repo}`, account, clientAddress(req));
  }
}

/** `/api/v1/audit-events?from=&to=&actor=&action=&resource=` (owners: their account; administrators: all). */
@Controller('api/v1/audit-events')
@UseFilters(ApiErrorFilter)
@UseGuards(JwtAuthGuard)
export class AuditController {
  constructor(
    private readonly repos: RepositoryService,
    private readonly accounts: AccountService,
  ) {}

  @Get()
  async search(@Req() req: AuthedRequest, @Query() query: Record<string, unknown>): Promise<object> {
    onlyQuery(query, ['from', 'to', 'actor', 'action', 'resource', 'page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    const date = (field: string) => {
      const v = text(query, field, 64);
      if (v === undefined) return undefined;
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) throw new ValidationError(field, `${field} must be an ISO date-time`);
      return d;
    };
    return this.repos.searchAudit(await this.accounts.requireUser(req.user), {
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
