import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { keysUnavailable, VerificationKeys } from '@wharf/auth-core';
import { OciError } from '@wharf/oci-errors';
import { organizationOf } from '@wharf/oci-spec';
import type { CatalogViewer } from '@wharf/registry-core';
import { TtlCache } from '@wharf/util';
import { AccessControl, AccessRequest, Principal } from './access-control.port';

export interface TokenAuthSettings {
  /** `<public url>/token` */
  realm: string;
  service: string;
  issuer: string;
}

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

interface RegistryClaims extends jwt.JwtPayload {
  access?: AccessEntry[];
  wharf?: { uid?: string; acct?: string; own?: boolean; adm?: boolean; robotOrg?: string; orgs?: Record<string, string> };
}

/**
 * Docker token authentication on the registry: every request needs a Bearer JWT from the auth
 * service whose `access` claim covers the route's scope. Anything else is 401 with the
 * `WWW-Authenticate` challenge that sends the client to the token endpoint.
 */
export class TokenAccessControl implements AccessControl {
  /** Verified tokens by their text: clients reuse one token for many requests. */
  private readonly verified = new TtlCache<RegistryClaims>(60_000, 10_000);

  constructor(
    private readonly keys: VerificationKeys,
    private readonly settings: TokenAuthSettings,
    /** The organization's current id (cached by the registry store; forgotten when it is deleted). */
    private readonly organizationId: (name: string) => Promise<string | null>,
  ) {}

  async authorize(req: IncomingMessage, need: AccessRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) throw this.challenge(need, null, 'authentication required');
    const claims = await this.verify(header.slice(7).trim(), need);
    if (need.catalog) {
      if (!claims.access?.some((a) => a.type === 'registry' && a.name === 'catalog' && a.actions.includes('*'))) {
        throw this.challenge(need, 'insufficient_scope', 'token does not grant registry:catalog:*');
      }
    } else if (need.repository) {
      const granted = new Set(claims.access?.filter((a) => a.type === 'repository' && a.name === need.repository).flatMap((a) => a.actions));
      const missing = need.actions.filter((a) => !granted.has(a));
      if (missing.length > 0) {
        throw this.challenge(need, 'insufficient_scope', `token does not grant ${missing.join(', ')} on ${need.repository}`);
      }
      if (!(await this.sameOrganization(claims, need.repository))) {
        throw this.challenge(need, 'invalid_token', `token was issued for an organization ${organizationOf(need.repository)} that no longer exists`);
      }
    }
    return { subject: claims.sub || null, claims };
  }

  async canPull(_req: IncomingMessage, principal: Principal, repository: string): Promise<boolean> {
    const claims = principal.claims as RegistryClaims | undefined;
    const granted = !!claims?.access?.some((a) => a.type === 'repository' && a.name === repository && a.actions.includes('pull'));
    return granted && (await this.sameOrganization(claims as RegistryClaims, repository));
  }

  /** The organization the token was issued for is still the one of that name (or the token names none). */
  private async sameOrganization(claims: RegistryClaims, repository: string): Promise<boolean> {
    const org = organizationOf(repository);
    const bound = claims.wharf?.orgs?.[org];
    return bound === undefined || bound === (await this.organizationId(org));
  }

  catalogViewer(principal: Principal): CatalogViewer | null {
    const w = (principal.claims as RegistryClaims | undefined)?.wharf;
    if (w?.adm) return null;
    return { userId: w?.uid ?? null, accountId: w?.acct ?? null, ownerOfAccount: w?.own === true, robotOrganization: w?.robotOrg ?? null };
  }

  private async verify(token: string, need: AccessRequest): Promise<RegistryClaims> {
    const cached = this.verified.get(token);
    if (cached && (cached.exp ?? 0) * 1000 > Date.now()) return cached;
    const kid = jwt.decode(token, { complete: true })?.header.kid;
    const key = typeof kid === 'string' ? await this.keys.get(kid).catch((err: Error) => Promise.reject(keysUnavailable(err))) : null;
    if (!key) throw this.challenge(need, 'invalid_token', 'token is signed by an unknown key');
    try {
      const claims = jwt.verify(token, key, { algorithms: ['RS256', 'ES256'], audience: this.settings.service, issuer: this.settings.issuer }) as RegistryClaims;
      this.verified.set(token, claims);
      return claims;
    } catch (err) {
      throw this.challenge(need, 'invalid_token', `invalid token: ${(err as Error).message}`);
    }
  }

  private challenge(need: AccessRequest, error: string | null, message: string): OciError {
    let value = `Bearer realm="${this.settings.realm}",service="${this.settings.service}"`;
    if (need.catalog) value += `,scope="registry:catalog:*"`;
    else if (need.repository) {
      const extra = need.optional ? ` repository:${need.optional.repository}:${need.optional.actions.join(',')}` : '';
      value += `,scope="repository:${need.repository}:${need.actions.join(',')}${extra}"`;
    }
    if (error) value += `,error="${error}"`;
    return new OciError('UNAUTHORIZED', message, undefined, { 'www-authenticate': value });
  }
}
