import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { AccessKeyView, AccountService, CreatedAccessKey, CredentialVerifier, TemporaryLogin, TokenIssuer } from '@wharf/auth-core';
import { ValidationError } from '@wharf/util';
import { OciError } from '@wharf/oci-errors';
import { ApiErrorFilter, bodyObject, pageOf, stringField } from './http-errors';
import { ApiUser, JwtAuthGuard } from './jwt.strategy';
import { clientAddress } from './token.controller';

type AuthedRequest = Request & { user: ApiUser };

/** `/api/v1/auth`: sign in, who am I, temporary login (SPEC §12). */
@Controller('api/v1/auth')
@UseFilters(ApiErrorFilter)
export class AuthController {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly issuer: TokenIssuer,
    private readonly accounts: AccountService,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(@Req() req: Request, @Body() raw: unknown): Promise<{ accessToken: string; expiresIn: number }> {
    const body = bodyObject(raw, ['username', 'password']);
    const username = stringField(body, 'username', { required: true, max: 256 }) as string;
    const password = stringField(body, 'password', { required: true, max: 1024 }) as string;
    const who = await this.verifier.authenticate(username, password, clientAddress(req));
    if (who.principal.kind !== 'user' || who.credential.kind !== 'password') {
      throw new OciError('UNAUTHORIZED', 'sign in to the API with a username and password');
    }
    return this.issuer.apiToken(who.principal.userId, who.principal.username, who.generation);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  async me(@Req() req: AuthedRequest): Promise<{ id: string; username: string; accountId: string; role: string; isAdmin: boolean }> {
    const u = await this.accounts.requireUser(req.user);
    return { id: u.id, username: u.username, accountId: u.accountId, role: u.role, isAdmin: u.isAdmin };
  }

  @Post('temporary-login')
  @HttpCode(201)
  @UseGuards(JwtAuthGuard)
  async temporaryLogin(@Req() req: AuthedRequest, @Body() raw: unknown): Promise<TemporaryLogin> {
    const body = bodyObject(raw, ['durationSeconds']);
    const duration = body['durationSeconds'];
    if (duration !== undefined && typeof duration !== 'number') throw new ValidationError('durationSeconds', 'durationSeconds must be a number');
    return this.accounts.temporaryLogin(await this.accounts.requireUser(req.user), duration as number | undefined, clientAddress(req));
  }
}

/** `/api/v1/access-keys`: a user's AK/SK pairs; the SK is shown once, at creation. */
@Controller('api/v1/access-keys')
@UseFilters(ApiErrorFilter)
@UseGuards(JwtAuthGuard)
export class AccessKeysController {
  constructor(private readonly accounts: AccountService) {}

  @Post()
  @HttpCode(201)
  async create(@Req() req: AuthedRequest, @Body() raw: unknown): Promise<CreatedAccessKey> {
    bodyObject(raw, []);
    return this.accounts.createAccessKey(await this.accounts.requireUser(req.user), clientAddress(req));
  }

  @Get()
  async list(@Req() req: AuthedRequest, @Query() query: Record<string, unknown>): Promise<{ items: AccessKeyView[]; total: number }> {
    const items = await this.accounts.listAccessKeys(await this.accounts.requireUser(req.user));
    return pageOf({ items, total: items.length }, query);
  }

  @Patch(':ak')
  async patch(@Req() req: AuthedRequest, @Param('ak') ak: string, @Body() raw: unknown): Promise<{ accessKey: string; enabled: boolean }> {
    const body = bodyObject(raw, ['enabled']);
    if (typeof body['enabled'] !== 'boolean') throw new ValidationError('enabled', 'enabled must be true or false');
    await this.accounts.setAccessKeyEnabled(await this.accounts.requireUser(req.user), ak, body['enabled'], clientAddress(req));
    return { accessKey: ak, enabled: body['enabled'] };
  }

  @Delete(':ak')
  @HttpCode(204)
  async remove(@Req() req: AuthedRequest, @Param('ak') ak: string): Promise<void> {
    await this.accounts.deleteAccessKey(await this.accounts.requireUser(req.user), ak, clientAddress(req));
  }
}
