import { randomUUID } from 'node:crypto';
import { requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, claims, names, token, tokenResponse } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';

const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('organizations API (/api/v1/organizations)', () => {
  let srv: TestServer;
  let adminBearer: string;

  async function owner(prefix: string, quota?: number) {
    const n = names(prefix);
    const password = `pw-${randomUUID()}`;
    const ids = await srv.accounts.createAccountWithOwner(n.account, n.user, password, quota);
    return { ...n, ...ids, password, auth: basic(n.user, password), bearer: await apiLogin(srv, n.user, password) };
  }
  const json = async (res: Response) => (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const post = (bearer: string, path: string, body: unknown) => api(srv, path, bearer, { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    adminBearer = await apiLogin(srv, 'admin', 'admin-password');
  });
  afterAll(() => srv?.close());

  it('creates an organization, names taken by anyone are refused, bad names and fields name the field', async () => {
    const a = await owner('orga');
    const b = await owner('orgb');
    const created = await post(a.bearer, '/organizations', { name: a.org });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ name: a.org, visibility: 'private', accountId: a.accountId, repositoryCount: 0, myLevel: 'manage' });
    const taken = await post(b.bearer, '/organizations', { name: a.org });
    expect(taken.status).toBe(409);
    expect((await json(taken)).error.message).toContain('organization already exists');
    for (const [body, field] of [
      [{ name: 'Bad_Name' }, 'name'],
      [{ name: '1abc' }, 'name'],
      [{ name: 'x'.repeat(65) }, 'name'],
      [{}, 'name'],
      [{ name: `${b.org}z`, visibility: 'secret' }, 'visibility'],
      [{ name: `${b.org}y`, color: 'red' }, 'color'],
    ] as const) {
      const res = await post(b.bearer, '/organizations', body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect((await json(res)).error.field).toBe(field);
    }
  });

  it('the sixth organization is refused through the API and through a push, saying why', async () => {
    const o = await owner('quota');
    for (let i = 0; i < 5; i++) expect((await post(o.bearer, '/organizations', { name: `${o.org}n${i}` })).status).toBe(201);
    const sixth = await post(o.bearer, '/organizations', { name: `${o.org}n5` });
    expect(sixth.status).toBe(403);
    expect((await json(sixth)).error.message).toContain('quota of 5 organizations');
    const push = await tokenResponse(srv, [`repository:${o.org}n6/app:pull,push`], o.auth);
    expect(push.status).toBe(403);
    expect((await json(push)).errors[0].message).toContain('quota of 5 organizations');
  });

  it('lists and shows only what the caller may see; public organizations are visible to all', async () => {
    const a = await owner('lista');
    const b = await owner('listb');
    await post(a.bearer, '/organizations', { name: a.org });
    await post(a.bearer, '/organizations', { name: `${a.org}pub`, visibility: 'public' });
    const mine = await json(await api(srv, '/organizations?pageSize=100', a.bearer));
    expect(mine.items.map((o: { name: string }) => o.name)).toEqual(expect.arrayContaining([a.org, `${a.org}pub`]));
    const theirs = await json(await api(srv, '/organizations?pageSize=100', b.bearer));
    const names = theirs.items.map((o: { name: string }) => o.name);
    expect(names).not.toContain(a.org);
    expect(names).toContain(`${a.org}pub`);
    expect((await api(srv, `/organizations/${a.org}`, b.bearer)).status).toBe(404);
    expect(await json(await api(srv, `/organizations/${a.org}pub`, b.bearer))).toMatchObject({ name: `${a.org}pub`, myLevel: null });
    expect((await api(srv, '/organizations?pageSize=0', a.bearer)).status).toBe(400);
    expect((await json(await api(srv, '/organizations?page=x', a.bearer))).error.field).toBe('page');
  });

  it('visibility needs manage; storage quotas need a system administrator', async () => {
    const o = await owner('vis');
    await post(o.bearer, '/organizations', { name: o.org });
    const member = `${o.user}m`;
    await srv.accounts.createMember(o.accountId, member, 'member-password');
    const memberBearer = await apiLogin(srv, member, 'member-password');
    await api(srv, `/organizations/${o.org}/members/${member}`, o.bearer, { method: 'PUT', body: JSON.stringify({ level: 'read' }) });
    expect((await api(srv, `/organizations/${o.org}`, memberBearer, { method: 'PATCH', body: JSON.stringify({ visibility: 'public' }) })).status).toBe(403);
    const made = await api(srv, `/organizations/${o.org}`, o.bearer, { method: 'PATCH', body: JSON.stringify({ visibility: 'public' }) });
    expect((await json(made)).visibility).toBe('public');
    expect((await api(srv, `/organizations/${o.org}`, o.bearer, { method: 'PATCH', body: JSON.stringify({ storageQuotaBytes: 1000 }) })).status).toBe(403);
    const quota = await api(srv, `/organizations/${o.org}`, adminBearer, { method: 'PATCH', body: JSON.stringify({ storageQuotaBytes: 1000 }) });
    expect((await json(quota)).storageQuotaBytes).toBe(1000);
  });

  it('members get exactly their level in registry tokens, until removed', async () => {
    const o = await owner('mem');
    await post(o.bearer, '/organizations', { name: o.org });
    const member = `${o.user}m`;
    await srv.accounts.createMember(o.accountId, member, 'member-password');
    const auth = basic(member, 'member-password');
    const actions = async () => claims(await token(srv, [`repository:${o.org}/app:pull,push,delete`], auth)).access[0]?.actions;
    expect(await actions()).toEqual([]);
    const set = await api(srv, `/organizations/${o.org}/members/${member}`, o.bearer, { method: 'PUT', body: JSON.stringify({ level: 'edit' }) });
    expect(await json(set)).toEqual({ username: member, level: 'edit' });
    expect(await actions()).toEqual(['pull', 'push']);
    expect((await json(await api(srv, `/organizations/${o.org}/members`, o.bearer))).items).toEqual([{ username: member, level: 'edit' }]);
    const bad = await api(srv, `/organizations/${o.org}/members/${member}`, o.bearer, { method: 'PUT', body: JSON.stringify({ level: 'admin' }) });
    expect((await json(bad)).error.field).toBe('level');
    expect((await api(srv, `/organizations/${o.org}/members/nobody-${randomUUID()}`, o.bearer, { method: 'PUT', body: JSON.stringify({ level: 'read' }) })).status).toBe(404);
    expect((await api(srv, `/organizations/${o.org}/members/${member}`, o.bearer, { method: 'DELETE' })).status).toBe(204);
    expect(await actions()).toEqual([]);
  });

  it('robot accounts: secret shown once, level applies, disabled and deleted robots cannot log in', async () => {
    const o = await owner('bot');
    await post(o.bearer, '/organizations', { name: o.org });
    const res = await post(o.bearer, `/organizations/${o.org}/robots`, { name: 'ci', level: 'edit' });
    expect(res.status).toBe(201);
    const robot = await json(res);
    expect(robot).toMatchObject({ name: 'ci', username: `robot$${o.org}+ci`, level: 'edit', expiresAt: null });
    const auth = basic(robot.username, robot.secret);
    expect(claims(await token(srv, [`repository:${o.org}/app:pull,push,delete`], auth)).access[0]?.actions).toEqual(['pull', 'push']);
    const listed = await json(await api(srv, `/organizations/${o.org}/robots`, o.bearer));
    expect(listed.items[0]).toMatchObject({ name: 'ci', enabled: true });
    expect(listed.items[0].secret).toBeUndefined();
    expect((await post(o.bearer, `/organizations/${o.org}/robots`, { name: 'ci', level: 'read' })).status).toBe(409);
    expect((await json(await post(o.bearer, `/organizations/${o.org}/robots`, { name: 'x', level: 'read', expiresAt: '2001-01-01T00:00:00Z' }))).error.field).toBe('expiresAt');
    await api(srv, `/organizations/${o.org}/robots/ci`, o.bearer, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    expect((await tokenResponse(srv, [], auth)).status).toBe(401);
    await api(srv, `/organizations/${o.org}/robots/ci`, o.bearer, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
    expect((await tokenResponse(srv, [], auth)).status).toBe(200);
    expect((await api(srv, `/organizations/${o.org}/robots/ci`, o.bearer, { method: 'DELETE' })).status).toBe(204);
    expect((await tokenResponse(srv, [], auth)).status).toBe(401);
  });

  it('deleting a non-empty organization is refused with the count; cascade removes its repositories', async () => {
    const o = await owner('del');
    const t = await token(srv, [`repository:${o.org}/one:pull,push`, `repository:${o.org}/two:pull,push`], o.auth);
    for (const repo of ['one', 'two']) {
      const res = await fetch(`${srv.url}/v2/${o.org}/${repo}/blobs/uploads/?digest=${sha256(repo)}`, {
        method: 'POST',
        body: repo,
        headers: { authorization: `Bearer ${t}` },
      });
      expect(res.status).toBe(201);
    }
    const refused = await api(srv, `/organizations/${o.org}`, o.bearer, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await json(refused)).error.message).toContain('has 2 repositories');
    expect((await api(srv, `/organizations/${o.org}?cascade=true`, o.bearer, { method: 'DELETE' })).status).toBe(204);
    expect((await api(srv, `/organizations/${o.org}`, o.bearer)).status).toBe(404);
    const left = await srv.pool.query(`SELECT count(*)::int AS n FROM repositories WHERE name LIKE $1`, [`${o.org}/%`]);
    expect(left.rows[0].n).toBe(0);
    const audit = await srv.pool.query(`SELECT action FROM audit_events WHERE resource = $1 ORDER BY id`, [o.org]);
    expect(audit.rows.map((r) => r.action)).toEqual(['organization.create', 'organization.delete']);
  });

  it('a storage quota refuses the push that would exceed it and usage counts each blob once', async () => {
    const o = await owner('store');
    await post(o.bearer, '/organizations', { name: o.org });
    await api(srv, `/organizations/${o.org}`, adminBearer, { method: 'PATCH', body: JSON.stringify({ storageQuotaBytes: 1500 }) });
    const t = await token(srv, [`repository:${o.org}/a:pull,push`, `repository:${o.org}/b:pull,push`], o.auth);
    const upload = (repo: string, body: Buffer) =>
      fetch(`${srv.url}/v2/${o.org}/${repo}/blobs/uploads/?digest=${sha256(body)}`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${t}` },
      });
    const first = Buffer.alloc(1000, 1);
    expect((await upload('a', first)).status).toBe(201);
    // The same blob in a second repository of the organization counts once.
    expect((await upload('b', first)).status).toBe(201);
    const refused = await upload('a', Buffer.alloc(600, 2));
    expect(refused.status).toBe(403);
    const e = (await json(refused)).errors[0];
    expect(e.code).toBe('DENIED');
    expect(e.message).toContain(`storage quota of organization ${o.org} exceeded: 1000 of 1500 bytes used`);
    expect(await json(await api(srv, `/organizations/${o.org}/usage`, o.bearer))).toEqual({
      organization: o.org,
      storageQuotaBytes: 1500,
      usedBytes: 1000,
      repositoryCount: 2,
    });
    expect((await upload('a', Buffer.alloc(500, 3))).status).toBe(201);
    await api(srv, `/repositories/${o.org}/b`, o.bearer, { method: 'DELETE' });
    expect((await json(await api(srv, `/organizations/${o.org}/usage`, o.bearer))).usedBytes).toBe(1500);
  });

  it('documents every management endpoint in the OpenAPI document', async () => {
    const doc = await json(await fetch(`${srv.url}/api/docs-json`));
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/v1/auth/login',
      '/api/v1/auth/me',
      '/api/v1/auth/temporary-login',
      '/api/v1/access-keys',
      '/api/v1/access-keys/{ak}',
      '/api/v1/accounts',
      '/api/v1/accounts/{id}',
      '/api/v1/accounts/{id}/users',
      '/api/v1/users/{id}',
      '/api/v1/organizations',
      '/api/v1/organizations/{org}',
      '/api/v1/organizations/{org}/usage',
      '/api/v1/organizations/{org}/members',
      '/api/v1/organizations/{org}/members/{username}',
      '/api/v1/organizations/{org}/robots',
      '/api/v1/organizations/{org}/robots/{name}',
      '/api/v1/repositories',
      '/api/v1/repositories/{org}/{repo}',
      '/api/v1/repositories/{org}/{repo}/tags',
      '/api/v1/repositories/{org}/{repo}/tags/{tag}',
      '/api/v1/repositories/{org}/{repo}/members/{username}',
      '/api/v1/repositories/{org}/{repo}/shares',
      '/api/v1/repositories/{org}/{repo}/shares/{account}',
      '/api/v1/audit-events',
    ]) {
      expect([p, paths.includes(p)]).toEqual([p, true]);
    }
    expect((await fetch(`${srv.url}/api/docs`)).status).toBe(200);
  });

  it('refuses anonymous and non-API tokens', async () => {
    expect((await fetch(`${srv.url}/api/v1/organizations`)).status).toBe(401);
    const o = await owner('regtok');
    expect((await api(srv, '/organizations', await token(srv, [], o.auth))).status).toBe(401);
  });
});
