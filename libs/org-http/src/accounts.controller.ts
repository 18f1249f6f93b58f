import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { AccountService } from '@wharf/auth-core';
import { ApiErrorFilter, ApiUser, bodyObject, clientAddress, JwtAuthGuard, onlyQuery, pageOf, pagination } from '@wharf/auth-http';
import { AccountAdminService } from '@wharf/org-core';

type AuthedRequest = Request & { user: ApiUser };

/** `/api/v1/accounts` and `/api/v1/users` (SPEC §12): tenants and their users. */
@Controller('api/v1')
@UseFilters(ApiErrorFilter)
@UseGuards(JwtAuthGuard)
export class AccountsController {
  constructor(
    private readonly admin: AccountAdminService,
    private readonly accounts: AccountService,
  ) {}

  @Post('accounts')
  @HttpCode(201)
  async create(@Req() req: AuthedRequest, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['name', 'owner', 'orgQuota']);
    return this.admin.createAccount(await this.accounts.requireUser(req.user), body, clientAddress(req));
  }

  @Get('accounts')
  async list(@Req() req: AuthedRequest, @Query() query: Record<string, unknown>): Promise<object> {
    onlyQuery(query, ['page', 'pageSize']);
    const { page, pageSize } = pagination(query);
    return this.admin.listAccounts(await this.accounts.requireUser(req.user), page, pageSize);
  }

  @Patch('accounts/:id')
  async update(@Req() req: AuthedRequest, @Param('id') id: string, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['orgQuota', 'enabled']);
    return this.admin.updateAccount(await this.accounts.requireUser(req.user), id, body, clientAddress(req));
  }

  @Post('accounts/:id/users')
  @HttpCode(201)
  async createUser(@Req() req: AuthedRequest, @Param('id') id: string, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['username', 'password', 'role']);
    return this.admin.createUser(await this.accounts.requireUser(req.user), id, body, clientAddress(req));
  }

  @Get('accounts/:id/users')
  async users(@Req() req: AuthedRequest, @Param('id') id: string, @Query() query: Record<string, unknown>): Promise<object> {
    return pageOf(await this.admin.listUsers(await this.accounts.requireUser(req.user), id), query);
  }

  @Patch('users/:id')
  async updateUser(@Req() req: AuthedRequest, @Param('id') id: string, @Body() raw: unknown): Promise<object> {
    const body = bodyObject(raw, ['enabled', 'role', 'password']);
    return this.admin.updateUser(await this.accounts.requireUser(req.user), id, body, clientAddress(req));
  }
}
