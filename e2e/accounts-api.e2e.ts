import { randomUUID } from 'node:crypto';
import { requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, claims, names, token, tokenResponse } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';

const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('accounts, users and repository grants API', () => {
  let srv: TestServer;
  let admin: string;
  const json = async (res: Response) => (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const send = (bearer: string, method: string, path: string, body?: unknown) => api(srv, path, bearer, { method, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    admin = await apiLogin(srv, 'admin', 'admin-password');
  });
  afterAll(() => srv?.close());

  async function account(prefix: string, orgQuota?: number) {
    const n = names(prefix);
    const password = `pw-${randomUUID()}`;
    const res = await send(admin, 'POST', '/accounts', { name: n.account, owner: { username: n.user, password }, ...(orgQuota !== undefined ? { orgQuota } : {}) });
    expect(res.status).toBe(201);
    const created = await json(res);
    return { ...n, id: created.id as string, password, bearer: await apiLogin(srv, n.user, password) };
  }

  it('a system administrator creates, lists and updates accounts; nobody else may', async () => {
    const a = await account('acc', 1);
    const listed = await json(await send(admin, 'GET', '/accounts?pageSize=100'));
    expect(listed.items.find((x: { name: string }) => x.name === a.account)).toMatchObject({ orgQuota: 1, enabled: true, userCount: 1 });
    expect((await send(a.bearer, 'GET', '/accounts')).status).toBe(403);
    expect((await send(a.bearer, 'POST', '/accounts', { name: 'x', owner: { username: 'x', password: 'password1' } })).status).toBe(403);
    const dup = await send(admin, 'POST', '/accounts', { name: a.account, owner: { username: `${a.user}z`, password: 'password1' } });
    expect(dup.status).toBe(409);
    for (const [body, field] of [
      [{ name: 'Bad Name', owner: { username: 'ok', password: 'password1' } }, 'name'],
      [{ name: `n${randomUUID().slice(0, 8)}`, owner: { username: 'Bad@User', password: 'password1' } }, 'owner.username'],
      [{ name: `n${randomUUID().slice(0, 8)}`, owner: { username: 'okuser', password: 'short' } }, 'owner.password'],
      [{ name: `n${randomUUID().slice(0, 8)}`, owner: { username: 'okuser2', password: 'password1' }, orgQuota: -1 }, 'orgQuota'],
    ] as const) {
      const res = await send(admin, 'POST', '/accounts', body);
      expect([field, res.status, (await json(res)).error.field]).toEqual([field, 400, field]);
    }
    // The per-account organization quota applies to the API and to pushes.
    expect((await send(a.bearer, 'POST', '/organizations', { name: a.org })).status).toBe(201);
    expect((await json(await send(a.bearer, 'POST', '/organizations', { name: `${a.org}2` }))).error.message).toContain('quota of 1 organizations');
    const raised = await send(admin, 'PATCH', `/accounts/${a.id}`, { orgQuota: 2 });
    expect((await json(raised)).orgQuota).toBe(2);
    expect((await send(a.bearer, 'POST', '/organizations', { name: `${a.org}2` })).status).toBe(201);
    // Disabling the account stops its users from logging in.
    await send(admin, 'PATCH', `/accounts/${a.id}`, { enabled: false });
    const refused = await tokenResponse(srv, [], basic(a.user, a.password));
    expect(refused.status).toBe(401);
    expect((await send(admin, 'PATCH', `/accounts/${randomUUID()}`, { enabled: true })).status).toBe(404);
  });

  it('an owner manages the users of the account; members and other accounts cannot', async () => {
    const a = await account('own');
    const b = await account('oth');
    const created = await send(a.bearer, 'POST', `/accounts/${a.id}/users`, { username: `${a.user}m`, password: 'member-password' });
    expect(created.status).toBe(201);
    const member = await json(created);
    expect(member).toMatchObject({ username: `${a.user}m`, role: 'member', enabled: true, accountId: a.id });
    const memberBearer = await apiLogin(srv, `${a.user}m`, 'member-password');
    expect((await send(memberBearer, 'POST', `/accounts/${a.id}/users`, { username: `${a.user}x`, password: 'member-password' })).status).toBe(403);
    expect((await send(b.bearer, 'GET', `/accounts/${a.id}/users`)).status).toBe(404);
    const users = await json(await send(a.bearer, 'GET', `/accounts/${a.id}/users`));
    expect(users.items.map((u: { username: string }) => u.username).sort()).toEqual([a.user, `${a.user}m`].sort());
    expect((await send(a.bearer, 'PATCH', `/users/${member.id}`, { enabled: false })).status).toBe(200);
    expect((await tokenResponse(srv, [], basic(`${a.user}m`, 'member-password'))).status).toBe(401);
    expect((await send(a.bearer, 'PATCH', `/users/${member.id}`, { enabled: true, password: 'new-password-1' })).status).toBe(200);
    expect((await tokenResponse(srv, [], basic(`${a.user}m`, 'new-password-1'))).status).toBe(200);
    const self = users.items.find((u: { username: string }) => u.username === a.user);
    expect((await send(a.bearer, 'PATCH', `/users/${self.id}`, { enabled: false })).status).toBe(403);
  });

  it('repository grants give a user exactly that level on that repository', async () => {
    const a = await account('grant');
    await send(a.bearer, 'POST', `/accounts/${a.id}/users`, { username: `${a.user}m`, password: 'member-password' });
    const memberAuth = basic(`${a.user}m`, 'member-password');
    const ownerAuth = basic(a.user, a.password);
    const t = await token(srv, [`repository:${a.org}/app:pull,push`, `repository:${a.org}/other:pull,push`], ownerAuth);
    for (const repo of ['app', 'other']) {
      const pushed = await fetch(`${srv.url}/v2/${a.org}/${repo}/blobs/uploads/?digest=${sha256('hello')}`, {
        method: 'POST',
        body: 'hello',
        headers: { authorization: `Bearer ${t}` },
      });
      expect(pushed.status).toBe(201);
    }
    const set = await send(a.bearer, 'PUT', `/repositories/${a.org}/app/members/${a.user}m`, { level: 'edit' });
    expect(await json(set)).toEqual({ username: `${a.user}m`, level: 'edit' });
    const granted = claims(await token(srv, [`repository:${a.org}/app:pull,push,delete`, `repository:${a.org}/other:pull`], memberAuth));
    expect(granted.access.map((x) => x.actions)).toEqual([['pull', 'push'], []]);
    expect(await json(await send(a.bearer, 'GET', `/repositories/${a.org}/app/members/${a.user}m`))).toEqual({ username: `${a.user}m`, level: 'edit' });
    expect((await json(await send(a.bearer, 'PUT', `/repositories/${a.org}/app/members/${a.user}m`, { level: 'owner' }))).error.field).toBe('level');
    expect((await send(a.bearer, 'DELETE', `/repositories/${a.org}/app/members/${a.user}m`)).status).toBe(204);
    expect(claims(await token(srv, [`repository:${a.org}/app:pull`], memberAuth)).access[0]?.actions).toEqual([]);
  });
});
