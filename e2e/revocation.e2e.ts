import { randomUUID } from 'node:crypto';
import { requireService } from '@wharf/testing';
import { api, apiLogin, basic, names, tokenResponse } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';

/**
 * Revocation is immediate: a disabled account takes its robots with it; a password change or a
 * disabled user ends the API and refresh tokens issued before (and re-enabling does not revive
 * them); every refused login gets the same answer, whatever the reason.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('revocation and refused logins', () => {
  let srv: TestServer;
  let admin: string;
  const json = async (res: Response) => (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const send = (bearer: string, method: string, path: string, body?: unknown) => api(srv, path, bearer, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const form = (fields: Record<string, string>) =>
    fetch(`${srv.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  const refreshTokenOf = async (username: string, password: string) => {
    const res = await form({ grant_type: 'password', username, password, service: 'wharf-registry', access_type: 'offline', client_id: 'containerd' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { refresh_token: string }).refresh_token;
  };
  const refresh = (refreshToken: string) => form({ grant_type: 'refresh_token', refresh_token: refreshToken, service: 'wharf-registry' }).then((r) => r.status);

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    admin = await apiLogin(srv, 'admin', 'admin-password');
  });
  afterAll(() => srv?.close());

  async function account(prefix: string) {
    const n = names(prefix);
    const password = `pw-${randomUUID()}`;
    const res = await send(admin, 'POST', '/accounts', { name: n.account, owner: { username: n.user, password } });
    expect(res.status).toBe(201);
    const created = await json(res);
    const bearer = await apiLogin(srv, n.user, password);
    const me = await json(await send(bearer, 'GET', '/auth/me'));
    return { ...n, id: created.id as string, userId: me.id as string, password, bearer };
  }

  it('disabling an account disables its robots: no token, no refresh, also after re-enabling for refresh', async () => {
    const a = await account('robacct');
    expect((await send(a.bearer, 'POST', '/organizations', { name: a.org })).status).toBe(201);
    const robot = await json(await send(a.bearer, 'POST', `/organizations/${a.org}/robots`, { name: 'ci', level: 'edit' }));
    const robotUser = `robot$${a.org}+ci`;
    const scope = [`repository:${a.org}/app:pull,push`];
    const before = await tokenResponse(srv, scope, basic(robotUser, robot.secret));
    expect(before.status).toBe(200);
    const robotRefresh = await refreshTokenOf(robotUser, robot.secret);
    expect(await refresh(robotRefresh)).toBe(200);

    expect((await send(admin, 'PATCH', `/accounts/${a.id}`, { enabled: false })).status).toBe(200);
    expect((await tokenResponse(srv, scope, basic(robotUser, robot.secret))).status).toBe(401);
    expect(await refresh(robotRefresh)).toBe(401);
    // The owner's API token ends too, and stays ended when the account comes back.
    expect((await send(a.bearer, 'GET', '/auth/me')).status).toBe(401);
    await send(admin, 'PATCH', `/accounts/${a.id}`, { enabled: true });
    expect((await send(a.bearer, 'GET', '/auth/me')).status).toBe(401);
    expect((await tokenResponse(srv, scope, basic(robotUser, robot.secret))).status).toBe(200);
  });

  it('a password change ends the API and refresh tokens issued before; the new password works', async () => {
    const a = await account('pwchange');
    const oldRefresh = await refreshTokenOf(a.user, a.password);
    expect(await refresh(oldRefresh)).toBe(200);
    const next = `pw-${randomUUID()}`;
    expect((await send(admin, 'PATCH', `/users/${a.userId}`, { password: next })).status).toBe(200);
    expect((await send(a.bearer, 'GET', '/auth/me')).status).toBe(401);
    expect(await refresh(oldRefresh)).toBe(401);
    const fresh = await apiLogin(srv, a.user, next);
    expect((await send(fresh, 'GET', '/auth/me')).status).toBe(200);
    expect(await refresh(await refreshTokenOf(a.user, next))).toBe(200);
  });

  it('disabling a user ends its API and refresh tokens for good, even once it is enabled again', async () => {
    const a = await account('disable');
    const memberPassword = `pw-${randomUUID()}`;
    const member = await json(await send(a.bearer, 'POST', `/accounts/${a.id}/users`, { username: `${a.user}m`, password: memberPassword }));
    const memberBearer = await apiLogin(srv, `${a.user}m`, memberPassword);
    const memberRefresh = await refreshTokenOf(`${a.user}m`, memberPassword);
    expect((await send(a.bearer, 'PATCH', `/users/${member.id}`, { enabled: false })).status).toBe(200);
    expect((await send(a.bearer, 'PATCH', `/users/${member.id}`, { enabled: true })).status).toBe(200);
    expect((await send(memberBearer, 'GET', '/auth/me')).status).toBe(401);
    expect(await refresh(memberRefresh)).toBe(401);
    expect((await tokenResponse(srv, [], basic(`${a.user}m`, memberPassword))).status).toBe(200);
  });

  it('every refused login says "invalid username or password"; the audit log keeps the real reason', async () => {
    const a = await account('oneanswer');
    const member = await json(await send(a.bearer, 'POST', `/accounts/${a.id}/users`, { username: `${a.user}d`, password: 'disabled-pass' }));
    await send(a.bearer, 'PATCH', `/users/${member.id}`, { enabled: false });
    const attempts: [string, string, string][] = [
      ['unknown user', `nobody${randomUUID().slice(0, 8)}`, 'whatever-pass'],
      ['wrong password', a.user, 'wrong-password'],
      ['disabled user', `${a.user}d`, 'disabled-pass'],
      ['unknown temporary token', `local@${a.user}`, 'wt_not-a-real-token'],
      ['unknown access key', 'local@AKAAAAAAAAAAAAAAAAAA', 'ab'.repeat(32)],
      ['unknown robot', `robot$${a.org}+nobody`, 'secret'],
    ];
    for (const [what, user, password] of attempts) {
      const res = await tokenResponse(srv, [], basic(user, password));
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      expect([what, res.status, body.errors[0]?.message]).toEqual([what, 401, 'invalid username or password']);
    }
    const audit = await json(await send(admin, 'GET', `/audit-events?action=login&actor=${a.user}d&pageSize=5`));
    expect(audit.items[0]).toMatchObject({ result: 'failure', detail: { reason: expect.stringContaining('disabled') } });
  });

  it('an unknown username costs a password check, as a wrong password does', async () => {
    const a = await account('timing');
    const median = async (user: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await tokenResponse(srv, [], basic(user, `wrong-${i}`));
        times.push(performance.now() - t);
      }
      return times.sort((x, y) => x - y)[2] as number;
    };
    const wrongPassword = await median(a.user);
    const unknownUser = await median(`nobody${randomUUID().slice(0, 8)}`);
    // scrypt dominates a refused password; without the dummy check an unknown name answers ~50x faster.
    expect(unknownUser).toBeGreaterThan(wrongPassword / 3);
  });
});
