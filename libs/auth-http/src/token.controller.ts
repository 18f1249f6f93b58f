import { Body, Controller, Get, Header, HttpCode, Post, Query, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, CredentialVerifier, IssuedToken, SigningKeyRing, TokenIssuer } from '@wharf/auth-core';
import { OciError } from '@wharf/oci-errors';
import { clientAddress } from '@wharf/api-http';
import { JwksDto, TokenDto } from './auth.dto';
import { DockerErrorFilter } from './docker-error.filter';

function basicCredentials(req: Request): { username: string; password: string } | null {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OciError('UNAUTHORIZED', 'malformed Basic credentials');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * The Docker token endpoint (distribution "token authentication specification" and its OAuth2
 * variant), plus the JWKS the registry verifies tokens with.
 */
@ApiTags('token')
@Controller('token')
@UseFilters(DockerErrorFilter)
export class TokenController {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly issuer: TokenIssuer,
    private readonly keys: SigningKeyRing,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiQuery({ name: 'service', required: false })
  @ApiQuery({ name: 'scope', required: false, description: 'repository:<name>:<actions>; may repeat' })
  @ApiOkResponse({ type: TokenDto, description: 'Basic credentials in Authorization, or none (anonymous)' })
  async get(@Req() req: Request, @Query() query: Record<string, unknown>): Promise<IssuedToken> {
    const creds = basicCredentials(req);
    const who = creds ? await this.verifier.authenticate(creds.username, creds.password, clientAddress(req)) : null;
    // `offline_token=true` (docker login) gets no refresh token: docker would keep it as an identity
    // token in ~/.docker/config.json, and podman, skopeo and buildah, which read that file too, then
    // refuse `podman login` ("auth file contains an Identity token"). Harbor's and Distribution's
    // token servers answer the same way. The OAuth2 form below (containerd) still issues them.
    return this.issuer.issue(who, query['service'] === undefined ? null : String(query['service']), list(query['scope']), {
      offline: false,
      clientAddress: clientAddress(req),
    });
  }

  /** OAuth2: `grant_type=password` (containerd tries it first) or `grant_type=refresh_token`. */
  @Post()
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['grant_type'],
      properties: {
        grant_type: { type: 'string', enum: ['password', 'refresh_token'] },
        username: { type: 'string' },
        password: { type: 'string' },
        refresh_token: { type: 'string' },
        service: { type: 'string' },
        scope: { type: 'string', description: 'space-separated scopes' },
        client_id: { type: 'string' },
        access_type: { type: 'string', enum: ['online', 'offline'] },
      },
    },
  })
  @ApiOkResponse({ type: TokenDto })
  async post(@Req() req: Request, @Body() body: Record<string, unknown>): Promise<IssuedToken> {
    const grant = String(body?.['grant_type'] ?? '');
    let who: Authenticated;
    if (grant === 'password') {
      who = await this.verifier.authenticate(String(body['username'] ?? ''), String(body['password'] ?? ''), clientAddress(req));
    } else if (grant === 'refresh_token') {
      who = await this.issuer.fromRefreshToken(String(body['refresh_token'] ?? ''));
    } else {
      throw new OciError('UNSUPPORTED', `grant_type "${grant.slice(0, 40)}" is not supported (use password or refresh_token)`);
    }
    const scopes = String(body['scope'] ?? '').split(' ').filter(Boolean);
    const token = await this.issuer.issue(who, body['service'] === undefined ? null : String(body['service']), scopes, {
      offline: body['access_type'] === 'offline' || grant === 'refresh_token',
      clientAddress: clientAddress(req),
    });
    return grant === 'refresh_token' ? { ...token, refresh_token: String(body['refresh_token']) } : token;
  }

  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=60')
  @ApiOkResponse({ type: JwksDto })
  jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    return this.keys.jwks();
  }
}
