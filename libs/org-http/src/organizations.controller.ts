import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { AccountService, UserRecord } from '@wharf/auth-core';
import { ApiErrorFilter, ApiUser, bodyObject, clientAddress, JwtAuthGuard, onlyQuery, pageOf, pagination } from '@wharf/auth-http';
import { CreatedRobot, OrganizationService, OrgView } from '@wharf/org-core';
import { ValidationError } from '@wharf/util';

type AuthedRequest = Request & { user: ApiUser };

/** `/api/v1/organizations` (SPEC §12): organizations, members and robot accounts. */
@Controller('api/v1/organizations')
@UseFilters(ApiErrorFilter)
@UseGuards(JwtAuthGuard)
export class OrganizationsController {
  constructor(
    private readonly orgs: OrganizationService,
    private readonly accounts: AccountService,
  ) {}

  private user(req: AuthedRequest): Promise<UserRecord> {
    return this.accounts.requireUser(req.user);
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: AuthedRequest, @Body() raw: unknown): Promise<OrgView> {
    const body = bodyObject(raw, ['name', 'visibility']);
    return this.orgs.create(await this.user(req), body['name'], body['visibility'], clientAddress(req));
  }

  @Get()
  async list(@Req() req: AuthedRequest, @Query() query: Record<string, unknown>): Promise<{ items: OrgView[]; total: number }> {
    onlyQuery(query, ['page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    return this.orgs.list(await this.user(req), page, pageSize);
  }

  @Get(':org')
  async get(@Req() req: AuthedRequest, @Param('org') org: string): Promise<OrgView> {
    return this.orgs.get(await this.user(req), org);
  }

  @Patch(':org')
  async update(@Req() req: AuthedRequest, @Param('org') org: string, @Body() raw: unknown): Promise<OrgView> {
    const body = bodyObject(raw, ['visibility', 'storageQuotaBytes']);
    return this.orgs.update(await this.user(req), org, body, clientAddress(req));
  }

  @Delete(':org')
  @HttpCode(204)
  async remove(@Req() req: AuthedRequest, @Param('org') org: string, @Query('cascade') cascade?: string): Promise<void> {
    if (cascade !== undefined && cascade !== 'true' && cascade !== 'false') throw new ValidationError('cascade', 'cascade must be true or false');
    await this.orgs.delete(await this.user(req), org, cascade === 'true', clientAddress(req));
  }

  @Get(':org/usage')
  async usage(@Req() req: AuthedRequest, @Param('org') org: string): Promise<object> {
    return this.orgs.usage(await this.user(req), org);
  }

  @Get(':org/members')
  async members(@Req() req: AuthedRequest, @Param('org') org: string, @Query() query: Record<string, unknown>): Promise<object> {
    return pageOf(await this.orgs.members(await this.user(req), org), query);
  }

  @Put(':org/members/:username')
  async setMember(@Req() req: AuthedRequest, @Param('org') org: string, @Param('username') username: string, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['level']);
    return this.orgs.setMember(await this.user(req), org, username, body['level'], clientAddress(req));
  }

  @Delete(':org/members/:username')
  @HttpCode(204)
  async removeMember(@Req() req: AuthedRequest, @Param('org') org: string, @Param('username') username: string): Promise<void> {
    await this.orgs.removeMember(await this.user(req), org, username, clientAddress(req));
  }

  @Post(':org/robots')
  @HttpCode(201)
  async createRobot(@Req() req: AuthedRequest, @Param('org') org: string, @Body() raw: unknown): Promise<CreatedRobot> {
    const body = bodyObject(raw, ['name', 'level', 'expiresAt']);
    return this.orgs.createRobot(await this.user(req), org, body, clientAddress(req));
  }

  @Get(':org/robots')
  async robots(@Req() req: AuthedRequest, @Param('org') org: string, @Query() query: Record<string, unknown>): Promise<object> {
    return pageOf(await this.orgs.robots(await this.user(req), org), query);
  }

  @Patch(':org/robots/:name')
  async patchRobot(@Req() req: AuthedRequest, @Param('org') org: string, @Param('name') name: string, @Body() raw: unknown): Promise<{ name: string; enabled: boolean }> {
    const body = bodyObject(raw, ['enabled']);
    await this.orgs.setRobotEnabled(await this.user(req), org, name, body['enabled'], clientAddress(req));
    return { name, enabled: body['enabled'] as boolean };
  }

  @Delete(':org/robots/:name')
  @HttpCode(204)
  async deleteRobot(@Req() req: AuthedRequest, @Param('org') org: string, @Param('name') name: string): Promise<void> {
    await this.orgs.deleteRobot(await this.user(req), org, name, clientAddress(req));
  }
}
