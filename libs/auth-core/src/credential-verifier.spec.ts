import { hashPassword, loginKeyOf, SecretBox, sha256Hex } from '@wharf/identity';
import { OciError } from '@wharf/oci-errors';
import { fakePort, PortCall, rejectionOf } from '@wharf/testing';
import { CredentialVerifier } from './credential-verifier';
import type { AccessKeyRecord, AuditEvent, AuditLog, AuthSettings, Clock, CredentialStore, LoginRateLimiter, RobotRecord, RobotStore, UserRecord, UserStore } from './ports';

const NOW = new Date('2026-12-01T12:00:00Z');
const box = new SecretBox('a-secret-key-of-at-least-thirty-two-characters');
const settings = { region: 'local' } as AuthSettings;
const AK = 'AKABCDEFGHIJKLMNOPQR';
const SK = 'the-secret-key';

/** CredentialVerifier with in-memory fakes of its store, audit log, rate limiter and clock. */
async function build() {
  const calls: PortCall[] = [];
  const alice: UserRecord = { id: 'u1', accountId: 'a1', username: 'alice', passwordHash: await hashPassword('right-pass'), role: 'owner', isAdmin: false, enabled: true, generation: 2 };
  const dora: UserRecord = { ...alice, id: 'u2', username: 'dora', enabled: false };
  const users = new Map([alice, dora].map((u) => [u.username, u]));
  const robots: RobotRecord[] = [
    { id: 'r1', organization: 'team', accountId: 'a1', name: 'ci', secretHash: sha256Hex('robot-secret'), level: 3, expiresAt: null, enabled: true },
    { id: 'r2', organization: 'team', accountId: 'a1', name: 'old', secretHash: sha256Hex('robot-secret'), level: 3, expiresAt: new Date(NOW.getTime() - 1), enabled: true },
  ];
  const keys: AccessKeyRecord[] = [{ accessKey: AK, userId: 'u1', secretSealed: box.seal(SK), enabled: true, createdAt: NOW }];
  const temporary = new Map([[sha256Hex('temp-token'), { userId: 'u1', expiresAt: new Date(NOW.getTime() + 60_000) }]]);
  const audit: AuditEvent[] = [];
  const failures = new Map<string, number>();
  const userStore = fakePort<UserStore>(
    'users',
    {
      findUserByUsername: async (name) => users.get(name) ?? null,
      findUserById: async (id) => [...users.values()].find((u) => u.id === id) ?? null,
    },
    calls,
  );
  const robotStore = fakePort<RobotStore>(
    'robots',
    {
      findRobot: async (org, name) => robots.find((r) => r.organization === org && r.name === name) ?? null,
      findRobotById: async (id) => robots.find((r) => r.id === id) ?? null,
    },
    calls,
  );
  const credentialStore = fakePort<CredentialStore>(
    'credentials',
    {
      findAccessKey: async (ak) => keys.find((k) => k.accessKey === ak) ?? null,
      findTemporaryToken: async (hash) => temporary.get(hash) ?? null,
    },
    calls,
  );
  const limiter = fakePort<LoginRateLimiter>(
    'limiter',
    {
      blockedFor: async (key) => ((failures.get(key) ?? 0) >= 3 ? 900 : 0),
      recordFailure: async (key) => void failures.set(key, (failures.get(key) ?? 0) + 1),
      reset: async (key) => void failures.delete(key),
    },
    calls,
  );
  const auditLog = fakePort<AuditLog>('audit', { record: async (e) => void audit.push(e) }, calls);
  const clock: Clock = { now: () => NOW };
  return { verifier: new CredentialVerifier(userStore, credentialStore, robotStore, auditLog, limiter, box, clock, settings), audit, failures, users, keys, calls };
}

const refusal = (p: Promise<unknown>): Promise<OciError> => rejectionOf(p, OciError);

describe('CredentialVerifier', () => {
  it('signs in with each credential kind and audits the kind used', async () => {
    const { verifier, audit } = await build();
    expect((await verifier.authenticate('alice', 'right-pass', '203.0.113.1')).credential).toEqual({ kind: 'password', id: 'u1' });
    expect((await verifier.authenticate('local@alice', 'temp-token', null)).credential.kind).toBe('temporary');
    expect((await verifier.authenticate(`local@${AK}`, loginKeyOf(AK, SK), null)).credential).toEqual({ kind: 'access-key', id: AK });
    const robot = await verifier.authenticate('robot$team+ci', 'robot-secret', null);
    expect(robot.principal).toMatchObject({ kind: 'robot', organization: 'team', level: 3, username: 'robot$team+ci' });
    expect(audit.map((e) => [e.result, e.detail?.['credential']])).toEqual([
      ['success', 'password'],
      ['success', 'temporary'],
      ['success', 'access-key'],
      ['success', 'robot'],
    ]);
    expect(audit[0]).toMatchObject({ actor: 'alice', accountId: 'a1', action: 'login', clientAddress: '203.0.113.1' });
  });

  it('answers every refusal with one message, keeping the real reason in the audit log', async () => {
    const { verifier, audit } = await build();
    const attempts: [string, string, string][] = [
      ['nobody', 'x', 'no user nobody'],
      ['alice', 'wrong', 'wrong password'],
      ['dora', 'right-pass', 'user dora is disabled'],
      ['local@alice', 'no-such-token', 'invalid temporary login token'],
      ['other@alice', 'temp-token', 'unknown region "other" (this registry is local)'],
      ['local@AKZZZZZZZZZZZZZZZZZZ', 'x', 'unknown access key AKZZZZZZZZZZZZZZZZZZ'],
      ['robot$team+old', 'robot-secret', 'robot account old expired at 2026-12-01T11:59:59.999Z'],
      ['robot$team+ci', 'wrong', 'invalid robot account or secret'],
    ];
    for (const [username, password, reason] of attempts) {
      const err = await refusal(verifier.authenticate(username, password, null));
      expect([username, err.code, err.message]).toEqual([username, 'UNAUTHORIZED', 'invalid username or password']);
      expect([username, audit.at(-1)?.result, audit.at(-1)?.detail?.['reason']]).toEqual([username, 'failure', reason]);
    }
  });

  it('limits failures per username and client address, and a success clears the count', async () => {
    const { verifier, failures, calls } = await build();
    for (let i = 0; i < 3; i++) await refusal(verifier.authenticate('alice', 'wrong', '203.0.113.7'));
    expect(failures.get('alice|203.0.113.7')).toBe(3);
    const blocked = await refusal(verifier.authenticate('alice', 'right-pass', '203.0.113.7'));
    expect(blocked.code).toBe('TOOMANYREQUESTS');
    expect(blocked.headers).toEqual({ 'retry-after': '900' });
    // Blocked before any credential check: the store was not asked.
    expect(calls.at(-2)).toEqual(['limiter.blockedFor', 'alice|203.0.113.7']);
    expect(calls.at(-1)?.[0]).toBe('audit.record');
    await verifier.authenticate('alice', 'right-pass', '203.0.113.8'); // another address is not blocked
    await refusal(verifier.authenticate('alice', 'wrong', '203.0.113.8'));
    await verifier.authenticate('alice', 'right-pass', '203.0.113.8');
    expect(failures.has('alice|203.0.113.8')).toBe(false);
  });

  it('ends what a refresh token names once its credential is revoked or the password changed', async () => {
    const { verifier, users, keys } = await build();
    const signedIn = await verifier.authenticate(`local@${AK}`, loginKeyOf(AK, SK), null);
    expect(await verifier.revalidate(signedIn.credential, 'u1', 2)).not.toBeNull();
    expect(await verifier.revalidate(signedIn.credential, 'u1', 1)).toBeNull(); // an older generation
    (keys[0] as AccessKeyRecord).enabled = false;
    expect(await verifier.revalidate(signedIn.credential, 'u1', 2)).toBeNull();
    (users.get('alice') as UserRecord).generation = 3; // password changed
    expect(await verifier.revalidate({ kind: 'password', id: 'u1' }, 'u1', 2)).toBeNull();
    expect(await verifier.revalidate({ kind: 'robot', id: 'r2' }, 'r2', 0)).toBeNull(); // expired robot
  });
});
