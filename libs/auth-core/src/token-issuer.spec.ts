import jwt from 'jsonwebtoken';
import { RepositoryFacts, SecretBox } from '@wharf/identity';
import { OciError } from '@wharf/oci-errors';
import { fakePort, PortCall, rejectionOf } from '@wharf/testing';
import type { Authenticated, CredentialVerifier } from './credential-verifier';
import type { AccessStore, AuditEvent, AuthSettings, Clock, NewOrganization, SigningKeyRecord, SigningKeyStore } from './ports';
import { SigningKeyRing } from './signing-key-ring';
import { TokenIssuer } from './token-issuer';

const NOW = new Date('2026-12-01T12:00:00Z');
const settings = { service: 'wharf-registry', issuer: 'wharf-auth', tokenTtlSeconds: 300, refreshTokenTtlSeconds: 3600, anonymousPull: true, orgQuota: 2 } as AuthSettings;
const alice: Authenticated = {
  principal: { kind: 'user', userId: 'u1', username: 'alice', accountId: 'a1', role: 'owner', isAdmin: false },
  credential: { kind: 'password', id: 'u1' },
  generation: 4,
};

/** TokenIssuer with in-memory fakes: organizations by name (owned by account a1 or a2), a key store, a credential verifier. */
function build(orgs: Record<string, { id: string; accountId: string; visibility: 'public' | 'private' }>) {
  const calls: PortCall[] = [];
  const created: NewOrganization[] = [];
  const keys: SigningKeyRecord[] = [];
  const access = fakePort<AccessStore>(
    'access',
    {
      repositoryFacts: async (_principal, repository): Promise<RepositoryFacts> => ({
        organization: orgs[repository.split('/')[0] as string] ?? null,
        repositoryVisibility: null,
        orgGrant: null,
        repoGrant: null,
        shareDeadlines: [],
      }),
      createOrganization: async (o) => {
        const owned = Object.values(orgs).filter((x) => x.accountId === o.accountId).length;
        if (owned >= o.defaultQuota) return { kind: 'quota', quota: o.defaultQuota };
        created.push(o);
        orgs[o.name] = { id: `org-${o.name}`, accountId: o.accountId, visibility: 'private' };
        return { kind: 'created' };
      },
    },
    calls,
  );
  const keyStore = fakePort<SigningKeyStore>('keys', { listSigningKeys: async () => [...keys], addSigningKey: async (k) => void keys.push(k) });
  const clock: Clock = { now: () => NOW };
  const ring = new SigningKeyRing(keyStore, new SecretBox('a-secret-key-of-at-least-thirty-two-characters'), clock);
  let revalidated: Authenticated | null = alice;
  const verifier = fakePort<CredentialVerifier>('verifier', { revalidate: async () => revalidated }, calls);
  const audit = fakePort<{ record(e: AuditEvent): Promise<void> }>('audit', {}, calls);
  const issuer = new TokenIssuer(access, ring, verifier, audit, clock, settings);
  return { issuer, created, calls, revoke: () => (revalidated = null) };
}

const claims = (token: string) => jwt.decode(token) as jwt.JwtPayload & { access: { name: string; actions: string[] }[]; wharf: Record<string, unknown> };
const refusal = (p: Promise<unknown>): Promise<OciError> => rejectionOf(p, OciError);

describe('TokenIssuer', () => {
  it('grants exactly what the caller may do, and binds the token to the organizations it grants in', async () => {
    const { issuer } = build({ mine: { id: 'org-7', accountId: 'a1', visibility: 'private' }, theirs: { id: 'org-8', accountId: 'a2', visibility: 'private' }, open: { id: 'org-9', accountId: 'a2', visibility: 'public' } });
    const t = await issuer.issue(alice, 'wharf-registry', ['repository:mine/app:pull,push,delete', 'repository:theirs/app:pull', 'repository:open/app:pull,push'], { offline: false, clientAddress: null });
    const c = claims(t.token);
    expect(c.access).toEqual([
      { type: 'repository', name: 'mine/app', actions: ['pull', 'push', 'delete'] },
      { type: 'repository', name: 'theirs/app', actions: [] },
      { type: 'repository', name: 'open/app', actions: ['pull'] },
    ]);
    expect(c.wharf['orgs']).toEqual({ mine: 'org-7', open: 'org-9' });
    expect(c).toMatchObject({ sub: 'alice', aud: 'wharf-registry', iss: 'wharf-auth', exp: NOW.getTime() / 1000 + 300 });
  });

  it('creates a free organization on push, with its audit entry in the same store call, up to the account quota', async () => {
    const { issuer, created, calls } = build({ first: { id: 'org-1', accountId: 'a1', visibility: 'private' } });
    const t = await issuer.issue(alice, null, ['repository:second/app:pull,push'], { offline: false, clientAddress: '203.0.113.5' });
    expect(claims(t.token).access[0]?.actions).toEqual(['pull', 'push']);
    expect(created).toEqual([expect.objectContaining({ name: 'second', accountId: 'a1', defaultQuota: 2, audit: expect.objectContaining({ action: 'organization.create', detail: { via: 'push' }, clientAddress: '203.0.113.5' }) })]);
    expect(calls.some(([m]) => m === 'audit.record')).toBe(false);
    const over = await refusal(issuer.issue(alice, null, ['repository:third/app:push'], { offline: false, clientAddress: null }));
    expect([over.code, over.message]).toEqual(['DENIED', 'cannot create organization third: your account has reached its quota of 2 organizations']);
    // Pull alone never creates anything.
    await issuer.issue(alice, null, ['repository:fourth/app:pull'], { offline: false, clientAddress: null });
    expect(created.map((o) => o.name)).toEqual(['second']);
  });

  it("refuses a push into another account's organization by saying so, and an unknown service", async () => {
    const { issuer } = build({ taken: { id: 'org-2', accountId: 'a2', visibility: 'private' } });
    const taken = await refusal(issuer.issue(alice, null, ['repository:taken/app:push'], { offline: false, clientAddress: null }));
    expect(taken.message).toBe('organization taken belongs to another account; choose another organization name');
    const service = await refusal(issuer.issue(alice, 'other-registry', [], { offline: false, clientAddress: null }));
    expect(service.message).toMatch(/unknown service "other-registry"/);
  });

  it('a refresh token works while its credential does, and not after it is revoked', async () => {
    const { issuer, revoke, calls } = build({});
    const { refresh_token } = await issuer.issue(alice, null, [], { offline: true, clientAddress: null });
    expect(claims(refresh_token as string).wharf).toEqual({ typ: 'refresh', uid: 'u1', cred: { kind: 'password', id: 'u1' }, gen: 4 });
    expect((await issuer.fromRefreshToken(refresh_token as string)).principal).toEqual(alice.principal);
    expect(calls.filter(([m]) => m === 'verifier.revalidate').at(-1)).toEqual(['verifier.revalidate', { kind: 'password', id: 'u1' }, 'u1', 4]);
    revoke();
    expect((await refusal(issuer.fromRefreshToken(refresh_token as string))).code).toBe('UNAUTHORIZED');
  });
});
