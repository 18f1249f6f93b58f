import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, PageQueryDto, pageOf } from '@wharf/api-http';
import { AccountAdminService } from '@wharf/org-core';
import { AccountDto, AccountPageDto, CreateAccountDto, CreateUserDto, UpdateAccountDto, UpdateUserDto, UserDto, UserPageDto } from './accounts.dto';

/** `/api/v1/accounts` and `/api/v1/users` (SPEC §12): tenants and their users. */
@ApiTags('accounts')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(JwtAuthGuard)
export class AccountsController {
  constructor(
    private readonly admin: AccountAdminService,
    private readonly accounts: AccountService,
  ) {}

  @Post('accounts')
  @HttpCode(201)
  @ApiCreatedResponse({ type: AccountDto })
  async create(@Req() req: Request, @CurrentUser() user: ApiUser, @Body() body: CreateAccountDto): Promise<AccountDto> {
    return this.admin.createAccount(await this.accounts.requireUser(user), body, clientAddress(req));
  }

  @Get('accounts')
  @ApiOkResponse({ type: AccountPageDto })
  async list(@CurrentUser() user: ApiUser, @Query() query: PageQueryDto): Promise<AccountPageDto> {
    const { page, pageSize } = query;
    return this.admin.listAccounts(await this.accounts.requireUser(user), page, pageSize);
  }

  @Patch('accounts/:id')
  @ApiOkResponse({ type: AccountDto })
  async update(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('id') id: string, @Body() body: UpdateAccountDto): Promise<AccountDto> {
    return this.admin.updateAccount(await this.accounts.requireUser(user), id, body, clientAddress(req));
  }

  @Post('accounts/:id/users')
  @HttpCode(201)
  @ApiCreatedResponse({ type: UserDto })
  async createUser(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('id') id: string, @Body() body: CreateUserDto): Promise<UserDto> {
    return this.admin.createUser(await this.accounts.requireUser(user), id, body, clientAddress(req));
  }

  @Get('accounts/:id/users')
  @ApiOkResponse({ type: UserPageDto })
  async users(@CurrentUser() user: ApiUser, @Param('id') id: string, @Query() query: PageQueryDto): Promise<UserPageDto> {
    return pageOf(await this.admin.listUsers(await this.accounts.requireUser(user), id), query);
  }

  @Patch('users/:id')
  @ApiOkResponse({ type: UserDto })
  async updateUser(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('id') id: string, @Body() body: UpdateUserDto): Promise<UserDto> {
    return this.admin.updateUser(await this.accounts.requireUser(user), id, body, clientAddress(req));
  }
}
