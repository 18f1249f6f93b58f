import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { OciError } from '@wharf/oci-errors';
import { organizationOf } from '@wharf/oci-spec';
import { AccessEntry, evaluateAccess, parseScope, Principal, RegistryAction } from '@wharf/identity';
import { Authenticated, CredentialVerifier } from './credential-verifier';
import { AccessStore, AuditLog, AuthSettings, Clock } from './ports';
import { SigningKeyRing } from './signing-key-ring';

/** Claims Wharf adds under `wharf` so the registry can filter the catalog without a lookup. */
export interface ViewerClaims {
  typ: 'registry' | 'refresh' | 'api';
  uid?: string;
  acct?: string;
  own?: boolean;
  adm?: boolean;
  robotOrg?: string;
  cred?: Authenticated['credential'];
  /** Registry tokens: the id of each organization access was granted in, by name. */
  orgs?: Record<string, string>;
  /** The user's credential generation the token was issued at (API and refresh tokens). */
  gen?: number;
}

export interface IssuedToken {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
}

const REFRESH_AUDIENCE_SUFFIX = '#refresh';
export const API_AUDIENCE = 'wharf-api';

/**
 * Issues the Docker registry tokens (`GET|POST /token`): a short-lived RS256 JWT whose `access`
 * claim lists exactly the granted subset of each requested scope. Pushing into an organization
 * that does not exist creates it for the caller's account when the name is free and the account
 * has organization quota left; otherwise the request is refused with DENIED saying which.
 */
export class TokenIssuer {
  constructor(
    private readonly access: AccessStore,
    private readonly keys: SigningKeyRing,
    private readonly verifier: CredentialVerifier,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly settings: AuthSettings,
  ) {}

  async issue(who: Authenticated | null, service: string | null, scopes: string[], options: { offline: boolean; clientAddress: string | null }): Promise<IssuedToken> {
    if (service !== null && service !== this.settings.service) {
      throw new OciError('DENIED', `unknown service "${service.slice(0, 100)}"; this token service issues tokens for "${this.settings.service}"`);
    }
    const principal: Principal = who?.principal ?? { kind: 'anonymous' };
    // Clients may name one repository in several scopes (containerd asks pull and pull,push): merge them.
    const requested = new Map<string, RegistryAction[]>();
    let catalog = false;
    for (const raw of scopes) {
      const scope = parseScope(raw);
      if (!scope) continue;
      if (scope.type === 'catalog') catalog = true;
      else requested.set(scope.name, [...new Set([...(requested.get(scope.name) ?? []), ...scope.actions])]);
    }
    const access: AccessEntry[] = [];
    const orgs: Record<string, string> = {};
    for (const [name, actions] of requested) {
      const { granted, organizationId } = await this.grant(principal, name, actions, options.clientAddress);
      access.push({ type: 'repository', name, actions: granted });
      // Bound to this organization: deleted and its name taken by another, the token is void there.
      if (granted.length > 0 && organizationId) orgs[organizationOf(name)] = organizationId;
    }
    if (catalog && principal.kind !== 'anonymous') access.push({ type: 'registry', name: 'catalog', actions: ['*'] });
    const now = this.clock.now();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const token = await this.sign(
      {
        sub: principal.kind === 'anonymous' ? '' : principal.username,
        aud: this.settings.service,
        access,
        wharf: { ...viewerClaims(principal, 'registry'), ...(Object.keys(orgs).length > 0 ? { orgs } : {}) },
      },
      this.settings.tokenTtlSeconds,
      issuedAt,
    );
    const result: IssuedToken = { token, access_token: token, expires_in: this.settings.tokenTtlSeconds, issued_at: now.toISOString() };
    if (options.offline && who) {
      result.refresh_token = await this.sign(
        {
          sub: who.principal.username,
          aud: this.settings.issuer + REFRESH_AUDIENCE_SUFFIX,
          wharf: {
            typ: 'refresh',
            uid: who.principal.kind === 'user' ? who.principal.userId : who.principal.robotId,
            cred: who.credential,
            gen: who.generation,
          },
        },
        this.settings.refreshTokenTtlSeconds,
        issuedAt,
      );
    }
    return result;
  }

  /** OAuth2 `grant_type=refresh_token`: the credential behind it must still be valid. */
  async fromRefreshToken(refreshToken: string): Promise<Authenticated> {
    const claims = await this.verify(refreshToken, this.settings.issuer + REFRESH_AUDIENCE_SUFFIX);
    const w = claims.wharf;
    const who = w?.typ === 'refresh' && w.cred && w.uid ? await this.verifier.revalidate(w.cred, w.uid, w.gen ?? 0) : null;
    if (!who) throw new OciError('UNAUTHORIZED', 'refresh token is no longer valid: its credential was revoked or expired');
    return who;
  }

  /** An API bearer token for the management API and console (`POST /api/v1/auth/login`). */
  async apiToken(userId: string, username: string, generation: number): Promise<{ accessToken: string; expiresIn: number }> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const claims = { sub: username, aud: API_AUDIENCE, wharf: { typ: 'api', uid: userId, gen: generation } };
    const accessToken = await this.sign(claims, this.settings.apiTokenTtlSeconds, issuedAt);
    return { accessToken, expiresIn: this.settings.apiTokenTtlSeconds };
  }

  /** Verifies a token this service signed, for `audience`; throws UNAUTHORIZED saying why not. */
  async verify(token: string, audience: string): Promise<jwt.JwtPayload & { wharf?: ViewerClaims }> {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    const key = kid ? await this.keys.publicKey(kid) : null;
    if (!key) throw new OciError('UNAUTHORIZED', 'token signed with an unknown key');
    try {
      return jwt.verify(token, key, {
        algorithms: ['RS256'],
        audience,
        issuer: this.settings.issuer,
        clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
      }) as jwt.JwtPayload & { wharf?: ViewerClaims };
    } catch (err) {
      throw new OciError('UNAUTHORIZED', `invalid token: ${(err as Error).message}`);
    }
  }

  private async sign(claims: Record<string, unknown>, ttl: number, issuedAt: number): Promise<string> {
    const { kid, privateKey } = await this.keys.active();
    return jwt.sign({ ...claims, iss: this.settings.issuer, iat: issuedAt, nbf: issuedAt - 1, exp: issuedAt + ttl, jti: randomUUID() }, privateKey, {
      algorithm: 'RS256',
      keyid: kid,
    });
  }

  private async grant(
    principal: Principal,
    repository: string,
    requested: RegistryAction[],
    clientAddress: string | null,
  ): Promise<{ granted: RegistryAction[]; organizationId: string | null }> {
    const org = organizationOf(repository);
    const options = { now: this.clock.now(), anonymousPull: this.settings.anonymousPull };
    let facts = await this.access.repositoryFacts(principal, repository);
    if (!facts.organization && requested.includes('push') && principal.kind === 'user') {
      const created = await this.access.createOrganization({
        name: org,
        accountId: principal.accountId,
        defaultQuota: this.settings.orgQuota,
        audit: { actor: principal.username, accountId: principal.accountId, action: 'organization.create', resource: org, result: 'success', clientAddress, detail: { via: 'push' } },
      });
      if (created.kind === 'quota') {
        throw new OciError('DENIED', `cannot create organization ${org}: your account has reached its quota of ${created.quota} organizations`);
      }
      facts = await this.access.repositoryFacts(principal, repository);
    }
    const decision = evaluateAccess(principal, org, facts, requested, options);
    if (
      principal.kind === 'user' &&
      !principal.isAdmin &&
      requested.includes('push') &&
      decision.granted.length === 0 &&
      facts.organization !== null &&
      facts.organization.accountId !== principal.accountId &&
      facts.orgGrant === null &&
      facts.repoGrant === null
    ) {
      throw new OciError('DENIED', `organization ${org} belongs to another account; choose another organization name`);
    }
    return { granted: decision.granted, organizationId: facts.organization?.id ?? null };
  }
}

function viewerClaims(principal: Principal, typ: ViewerClaims['typ']): ViewerClaims {
  if (principal.kind === 'anonymous') return { typ };
  if (principal.kind === 'robot') return { typ, acct: principal.accountId, robotOrg: principal.organization };
  return { typ, uid: principal.userId, acct: principal.accountId, own: principal.role === 'owner', adm: principal.isAdmin };
}
