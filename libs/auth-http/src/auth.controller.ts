import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService, CredentialVerifier, TokenIssuer } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, noBodyFields, PageQueryDto, pageOf } from '@wharf/api-http';
import { OciError } from '@wharf/oci-errors';
import {
  AccessKeyPageDto,
  AccessKeyPatchDto,
  AccessKeyStateDto,
  AccessTokenDto,
  CreatedAccessKeyDto,
  LoginDto,
  MeDto,
  TemporaryLoginDto,
  TemporaryLoginRequestDto,
} from './auth.dto';

/** `/api/v1/auth`: sign in, who am I, temporary login (SPEC §12). */
@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly issuer: TokenIssuer,
    private readonly accounts: AccountService,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AccessTokenDto })
  async login(@Req() req: Request, @Body() body: LoginDto): Promise<AccessTokenDto> {
    const who = await this.verifier.authenticate(body.username, body.password, clientAddress(req));
    if (who.principal.kind !== 'user' || who.credential.kind !== 'password') {
      throw new OciError('UNAUTHORIZED', 'sign in to the API with a username and password');
    }
    return this.issuer.apiToken(who.principal.userId, who.principal.username, who.generation);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentUser() user: ApiUser): Promise<MeDto> {
    const u = await this.accounts.requireUser(user);
    return { id: u.id, username: u.username, accountId: u.accountId, role: u.role, isAdmin: u.isAdmin };
  }

  @Post('temporary-login')
  @HttpCode(201)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: TemporaryLoginDto })
  async temporaryLogin(@Req() req: Request, @CurrentUser() user: ApiUser, @Body() body: TemporaryLoginRequestDto): Promise<TemporaryLoginDto> {
    return this.accounts.temporaryLogin(await this.accounts.requireUser(user), body.durationSeconds, clientAddress(req));
  }
}

/** `/api/v1/access-keys`: a user's AK/SK pairs; the SK is shown once, at creation. */
@ApiTags('access-keys')
@ApiBearerAuth()
@Controller('api/v1/access-keys')
@UseGuards(JwtAuthGuard)
export class AccessKeysController {
  constructor(private readonly accounts: AccountService) {}

  @Post()
  @HttpCode(201)
  @ApiBody({ required: false, schema: { type: 'object', properties: {}, additionalProperties: false } })
  @ApiCreatedResponse({ type: CreatedAccessKeyDto })
  async create(@Req() req: Request, @CurrentUser() user: ApiUser, @Body() body: unknown): Promise<CreatedAccessKeyDto> {
    noBodyFields(body);
    return this.accounts.createAccessKey(await this.accounts.requireUser(user), clientAddress(req));
  }

  @Get()
  @ApiOkResponse({ type: AccessKeyPageDto })
  async list(@CurrentUser() user: ApiUser, @Query() query: PageQueryDto): Promise<AccessKeyPageDto> {
    const items = await this.accounts.listAccessKeys(await this.accounts.requireUser(user));
    return pageOf({ items, total: items.length }, query);
  }

  @Patch(':ak')
  @ApiOkResponse({ type: AccessKeyStateDto })
  async patch(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('ak') ak: string, @Body() body: AccessKeyPatchDto): Promise<AccessKeyStateDto> {
    await this.accounts.setAccessKeyEnabled(await this.accounts.requireUser(user), ak, body.enabled, clientAddress(req));
    return { accessKey: ak, enabled: body.enabled };
  }

  @Delete(':ak')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('ak') ak: string): Promise<void> {
    await this.accounts.deleteAccessKey(await this.accounts.requireUser(user), ak, clientAddress(req));
  }
}
