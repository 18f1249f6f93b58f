import jwt from 'jsonwebtoken';
import { errorCode, ociError, requireService } from '@wharf/testing';
import { api, apiLogin, basic, claims, loginKeyByShell, token, tokenResponse } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';
import { tokenFixtures } from './support/token-fixtures';

const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const DAY = 24 * 3600 * 1000;

(databaseUrl && redisUrl ? describe : describe.skip)('Docker token auth (auth service + registry)', () => {
  let srv: TestServer;
  const { registry, refusalReason, owner, pushWith } = tokenFixtures(() => srv);


  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
  });
  afterAll(() => srv?.close());

  describe('the challenge and the token', () => {
    it('answers an unauthenticated ping with a Bearer challenge naming the realm and service', async () => {
      const res = await registry('/v2/', null);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${srv.url}/token",service="wharf-registry"`);
      expect(await errorCode(res)).toBe('UNAUTHORIZED');
    });

    it('challenges a repository request with its scope', async () => {
      const res = await registry('/v2/someorg/app/manifests/latest', null);
      expect(res.headers.get('www-authenticate')).toContain('scope="repository:someorg/app:pull"');
    });

    it('issues an RS256 JWT with kid, aud, expiry and exactly the granted access', async () => {
      const o = await owner('tok');
      const res = await tokenResponse(srv, [`repository:${o.org}/app:pull,push`, 'repository:elsewhere/x:pull'], o.auth);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBe(300);
      expect(Date.parse(body.issued_at)).not.toBeNaN();
      const header = JSON.parse(Buffer.from(body.token.split('.')[0] as string, 'base64url').toString());
      expect(header.alg).toBe('RS256');
      expect(typeof header.kid).toBe('string');
      const c = claims(body.token);
      expect(c['aud']).toBe('wharf-registry');
      expect(c['sub']).toBe(o.user);
      expect((c['exp'] as number) - (c['iat'] as number)).toBe(300);
      expect(c.access).toEqual([
        { type: 'repository', name: `${o.org}/app`, actions: ['pull', 'push'] },
        { type: 'repository', name: 'elsewhere/x', actions: [] },
      ]);
    });

    it('publishes the verification keys as JWKS', async () => {
      const jwks = (await (await fetch(`${srv.url}/token/jwks.json`)).json()) as { keys: { kid: string; kty: string; n?: string; d?: string }[] };
      expect(jwks.keys.length).toBeGreaterThan(0);
      expect(jwks.keys[0]?.kty).toBe('RSA');
      expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    });

    it('refuses a token for a service it does not serve', async () => {
      const o = await owner('svc');
      const res = await tokenResponse(srv, [`repository:${o.org}/app:pull`], o.auth, 'some-other-registry');
      expect(res.status).toBe(403);
      expect((await ociError(res)).message).toContain('unknown service');
    });
  });

  describe('organizations created by push', () => {
    it('a push to a new organization creates it for the pusher, who can then push and pull', async () => {
      const o = await owner('auto');
      const t = await token(srv, [`repository:${o.org}/app:pull,push`], o.auth);
      expect((await pushWith(t, `${o.org}/app`)).status).toBe(201);
      const row = await srv.pool.query('SELECT account_id FROM organizations WHERE name = $1', [o.org]);
      expect(row.rows[0].account_id).toBe(o.accountId);
      const audit = await srv.pool.query(`SELECT 1 FROM audit_events WHERE action = 'organization.create' AND resource = $1`, [o.org]);
      expect(audit.rowCount).toBe(1);
    });

    it('refuses a new organization over the account quota, saying so', async () => {
      const o = await owner('quota', 1);
      await token(srv, [`repository:${o.org}/app:pull,push`], o.auth);
      const res = await tokenResponse(srv, [`repository:${o.org}x/app:pull,push`], o.auth);
      expect(res.status).toBe(403);
      const e = await ociError(res);
      expect(e.code).toBe('DENIED');
      expect(e.message).toContain('quota of 1 organizations');
    });

    it("refuses a push into another account's organization, saying whose it is", async () => {
      const a = await owner('mine');
      const b = await owner('thief');
      await token(srv, [`repository:${a.org}/app:pull,push`], a.auth);
      const res = await tokenResponse(srv, [`repository:${a.org}/app:pull,push`], b.auth);
      expect(res.status).toBe(403);
      expect((await ociError(res)).message).toContain('belongs to another account');
    });
  });

  describe('credential kinds', () => {
    it('a temporary login token works until it expires', async () => {
      const o = await owner('temp');
      const bearer = await apiLogin(srv, o.user, o.password);
      const created = await api(srv, '/auth/temporary-login', bearer, { method: 'POST', body: JSON.stringify({ durationSeconds: 3600 }) });
      expect(created.status).toBe(201);
      const t = (await created.json()) as { username: string; token: string; expiresAt: string; loginCommand: string };
      expect(t.username).toBe(`local@${o.user}`);
      expect(t.loginCommand).toBe(`docker login -u local@${o.user} -p ${t.token} ${srv.host}`);
      expect(Date.parse(t.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
      expect((await tokenResponse(srv, [], basic(t.username, t.token))).status).toBe(200);
      srv.clock.advance(3601 * 1000);
      try {
        const res = await tokenResponse(srv, [], basic(t.username, t.token));
        expect(res.status).toBe(401);
        expect((await ociError(res)).message).toBe('invalid username or password');
        expect(await refusalReason(t.username)).toContain('expired');
        // The password keeps working: the credentials are independent.
        expect((await tokenResponse(srv, [], o.auth)).status).toBe(200);
      } finally {
        srv.clock.advance(-3601 * 1000);
      }
    });

    it('refuses temporary login durations outside 15 minutes to 24 hours, naming the field', async () => {
      const o = await owner('tempbad');
      const bearer = await apiLogin(srv, o.user, o.password);
      for (const durationSeconds of [60, 2 * DAY, 'long']) {
        const res = await api(srv, '/auth/temporary-login', bearer, { method: 'POST', body: JSON.stringify({ durationSeconds }) });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { field: string } }).error.field).toBe('durationSeconds');
      }
    });

    it('an access key logs in with the HMAC login key until disabled or deleted', async () => {
      const o = await owner('aksk');
      const bearer = await apiLogin(srv, o.user, o.password);
      const res = await api(srv, '/access-keys', bearer, { method: 'POST' });
      expect(res.status).toBe(201);
      const k = (await res.json()) as { accessKey: string; secretKey: string; loginUsername: string; loginCommand: string };
      const loginKey = loginKeyByShell(k.accessKey, k.secretKey);
      expect(k.loginCommand).toBe(`docker login -u local@${k.accessKey} -p ${loginKey} ${srv.host}`);
      const auth = basic(k.loginUsername, loginKey);
      expect((await tokenResponse(srv, [], auth)).status).toBe(200);
      const listed = (await (await api(srv, '/access-keys', bearer)).json()) as { items: { accessKey: string; secretKey?: string }[] };
      expect(listed.items.map((i) => i.accessKey)).toEqual([k.accessKey]);
      expect(listed.items[0]?.secretKey).toBeUndefined();

      expect((await api(srv, `/access-keys/${k.accessKey}`, bearer, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
      const disabled = await tokenResponse(srv, [], auth);
      expect(disabled.status).toBe(401);
      expect((await ociError(disabled)).message).toBe('invalid username or password');
      expect(await refusalReason(k.loginUsername)).toContain('disabled');
      await api(srv, `/access-keys/${k.accessKey}`, bearer, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
      expect((await tokenResponse(srv, [], auth)).status).toBe(200);
      expect((await api(srv, `/access-keys/${k.accessKey}`, bearer, { method: 'DELETE' })).status).toBe(204);
      const deleted = await tokenResponse(srv, [], auth);
      expect(deleted.status).toBe(401);
      expect(await errorCode(deleted)).toBe('UNAUTHORIZED');
    });

    it("cannot change another user's access key", async () => {
      const a = await owner('akowner');
      const b = await owner('akother');
      const ka = (await (await api(srv, '/access-keys', await apiLogin(srv, a.user, a.password), { method: 'POST' })).json()) as { accessKey: string };
      const res = await api(srv, `/access-keys/${ka.accessKey}`, await apiLogin(srv, b.user, b.password), { method: 'DELETE' });
      expect(res.status).toBe(404);
    });

    it('a disabled user cannot log in', async () => {
      const o = await owner('disabled');
      await srv.users.setUserEnabled(o.userId, false);
      const res = await tokenResponse(srv, [], o.auth);
      expect(res.status).toBe(401);
      expect((await ociError(res)).message).toBe('invalid username or password');
      expect(await refusalReason(o.user)).toContain('disabled');
    });

    it('a wrong password is refused with UNAUTHORIZED and audited', async () => {
      const o = await owner('wrongpw');
      const res = await tokenResponse(srv, [], basic(o.user, 'not-the-password'));
      expect(res.status).toBe(401);
      expect(await errorCode(res)).toBe('UNAUTHORIZED');
      await tokenResponse(srv, [], o.auth);
      const rows = await srv.pool.query(`SELECT result FROM audit_events WHERE action = 'login' AND actor = $1 ORDER BY id`, [o.user]);
      expect(rows.rows.map((r) => r.result)).toEqual(['failure', 'success']);
    });

    it('many clients logging in at once with the same password all get tokens; a wrong password among them does not', async () => {
      const o = await owner('burst');
      const wrong = basic(o.user, `${o.password}x`);
      const results = await Promise.all([...Array.from({ length: 16 }, () => tokenResponse(srv, [], o.auth)), tokenResponse(srv, [], wrong)]);
      expect(results.map((r) => r.status)).toEqual([...Array<number>(16).fill(200), 401]);
    });

    it('a robot account has its level on its organization until it expires', async () => {
      const o = await owner('robo');
      await token(srv, [`repository:${o.org}/app:pull,push`], o.auth);
      const expiresAt = new Date(Date.now() + DAY).toISOString();
      const created = await api(srv, `/organizations/${o.org}/robots`, await apiLogin(srv, o.user, o.password), {
        method: 'POST',
        body: JSON.stringify({ name: 'ci', level: 'edit', expiresAt }),
      });
      expect(created.status).toBe(201);
      const secret = ((await created.json()) as { secret: string }).secret;
      const auth = basic(`robot$${o.org}+ci`, secret);
      const t = await token(srv, [`repository:${o.org}/app:pull,push,delete`, 'repository:other/app:pull'], auth);
      expect(claims(t).access.map((a) => a.actions)).toEqual([['pull', 'push'], []]);
      expect((await pushWith(t, `${o.org}/app`, 'robot')).status).toBe(201);
      srv.clock.advance(DAY + 1000);
      try {
        const res = await tokenResponse(srv, [], auth);
        expect(res.status).toBe(401);
        expect((await ociError(res)).message).toBe('invalid username or password');
        expect(await refusalReason(Buffer.from(auth.slice(6), 'base64').toString().split(':')[0] as string)).toContain('expired');
      } finally {
        srv.clock.advance(-(DAY + 1000));
      }
    });
  });

  describe('the registry enforces the token', () => {
    let o: Awaited<ReturnType<typeof owner>>;
    beforeAll(async () => {
      o = await owner('enforce');
      const t = await token(srv, [`repository:${o.org}/a:pull,push`, `repository:${o.org}/b:pull,push`], o.auth);
      await pushWith(t, `${o.org}/a`);
      await pushWith(t, `${o.org}/b`);
    });

    it('a token for repository A does not open repository B', async () => {
      const t = await token(srv, [`repository:${o.org}/a:pull`], o.auth);
      expect((await registry(`/v2/${o.org}/a/manifests/v1`, t)).status).toBe(200);
      const res = await registry(`/v2/${o.org}/b/manifests/v1`, t);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    });

    it('a pull token cannot push or delete', async () => {
      const t = await token(srv, [`repository:${o.org}/a:pull`], o.auth);
      const push = await registry(`/v2/${o.org}/a/blobs/uploads/`, t, { method: 'POST' });
      expect(push.status).toBe(401);
      expect(push.headers.get('www-authenticate')).toContain(`scope="repository:${o.org}/a:pull,push",error="insufficient_scope"`);
      expect((await registry(`/v2/${o.org}/a/manifests/v1`, t, { method: 'DELETE' })).status).toBe(401);
    });

    it('refuses tampered, unsigned, expired, wrong-audience and unknown-key tokens', async () => {
      const good = await token(srv, [`repository:${o.org}/a:pull`], o.auth);
      const [h, p, s] = good.split('.') as [string, string, string];
      const payload = claims(good);
      const forged = Buffer.from(JSON.stringify({ ...payload, access: [{ type: 'repository', name: `${o.org}/b`, actions: ['pull', 'push', 'delete'] }] })).toString('base64url');
      const { kid, privateKey } = await srv.keys.active();
      const now = Math.floor(Date.now() / 1000);
      const sign = (over: Record<string, unknown>, header: Record<string, unknown> = { kid }) =>
        jwt.sign({ ...payload, ...over }, privateKey, { algorithm: 'RS256', header: { alg: 'RS256', ...header } as jwt.JwtHeader });
      const cases: [string, string][] = [
        ['tampered payload', `${h}.${forged}.${s}`],
        ['tampered signature', `${h}.${p}.${s.slice(0, -4)}AAAA`],
        ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid })).toString('base64url')}.${p}.`],
        ['expired', sign({ iat: now - 600, nbf: now - 600, exp: now - 300 })],
        ['wrong audience', sign({ aud: 'another-registry' })],
        ['wrong issuer', sign({ iss: 'someone-else' })],
        ['unknown kid', sign({}, { kid: 'no-such-key' })],
      ];
      for (const [label, bad] of cases) {
        const res = await registry(`/v2/${o.org}/a/manifests/v1`, bad);
        expect([label, res.status]).toEqual([label, 401]);
        expect([label, res.headers.get('www-authenticate')]).toEqual([label, expect.stringContaining('error="invalid_token"')]);
      }
      expect((await registry(`/v2/${o.org}/a/manifests/v1`, sign({}))).status).toBe(200);
    });

    it('scopes that try to escape grant nothing', async () => {
      const t = await token(srv, [`repository:${o.org}/a:pull,push,delete,*`, 'repository:../x:pull', `repository:${o.org}/../b:pull`, 'registry:catalog:push'], o.auth);
      expect(claims(t).access).toEqual([{ type: 'repository', name: `${o.org}/a`, actions: ['pull', 'push', 'delete'] }]);
    });

    it('tokens signed before and after a key rotation are both accepted', async () => {
      const before = await token(srv, [`repository:${o.org}/a:pull`], o.auth);
      const newKid = await srv.keys.rotate();
      const after = await token(srv, [`repository:${o.org}/a:pull`], o.auth);
      const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0] as string, 'base64url').toString()).kid;
      expect(kidOf(after)).toBe(newKid);
      expect(kidOf(before)).not.toBe(newKid);
      expect((await registry(`/v2/${o.org}/a/manifests/v1`, before)).status).toBe(200);
      expect((await registry(`/v2/${o.org}/a/manifests/v1`, after)).status).toBe(200);
    });

    it('the catalog lists only repositories the caller may see', async () => {
      const stranger = await owner('stranger');
      const mine = await token(srv, ['registry:catalog:*'], o.auth);
      const theirs = await token(srv, ['registry:catalog:*'], stranger.auth);
      const list = async (t: string) => ((await (await registry(`/v2/_catalog?n=10000`, t)).json()) as { repositories: string[] }).repositories;
      expect((await list(mine)).filter((r) => r.startsWith(`${o.org}/`))).toEqual([`${o.org}/a`, `${o.org}/b`]);
      expect((await list(theirs)).filter((r) => r.startsWith(`${o.org}/`))).toEqual([]);
      const admin = await token(srv, ['registry:catalog:*'], basic('admin', 'admin-password'));
      expect((await list(admin)).filter((r) => r.startsWith(`${o.org}/`))).toEqual([`${o.org}/a`, `${o.org}/b`]);
      expect((await registry('/v2/_catalog', await token(srv, ['registry:catalog:*']))).status).toBe(401);

      // Grants, shares and robots: each caller sees exactly what it may pull.
      const ownerApi = await apiLogin(srv, o.user, o.password);
      const send = (path: string, method: string, body: unknown) => api(srv, path, ownerApi, { method, body: JSON.stringify(body) });
      const seen = async (auth: string) => (await list(await token(srv, ['registry:catalog:*'], auth))).filter((r) => r.startsWith(`${o.org}/`));
      const member = await owner('catmember');
      expect((await send(`/organizations/${o.org}/members/${member.user}`, 'PUT', { level: 'read' })).status).toBe(200);
      expect(await seen(member.auth)).toEqual([`${o.org}/a`, `${o.org}/b`]);
      const granted = await owner('catgrant');
      expect((await send(`/repositories/${o.org}/a/members/${granted.user}`, 'PUT', { level: 'read' })).status).toBe(200);
      expect(await seen(granted.auth)).toEqual([`${o.org}/a`]);
      const shared = await owner('catshare');
      const deadline = new Date(Date.now() + 24 * 3600_000).toISOString();
      expect((await send(`/repositories/${o.org}/b/shares`, 'POST', { account: shared.account, deadline })).status).toBe(201);
      expect(await seen(shared.auth)).toEqual([`${o.org}/b`]);
      // A share whose deadline has passed (made with the service's clock a day back) shows nothing.
      const ended = await owner('catended');
      srv.clock.advance(-24 * 3600_000);
      try {
        const past = new Date(Date.now() - 60_000).toISOString();
        expect((await send(`/repositories/${o.org}/b/shares`, 'POST', { account: ended.account, deadline: past })).status).toBe(201);
      } finally {
        srv.clock.advance(24 * 3600_000);
      }
      expect(await seen(ended.auth)).toEqual([]);
      const robot = await send(`/organizations/${o.org}/robots`, 'POST', { name: 'lister', level: 'read' });
      const secret = ((await robot.json()) as { secret: string }).secret;
      expect(await seen(basic(`robot$${o.org}+lister`, secret))).toEqual([`${o.org}/a`, `${o.org}/b`]);
    });

    it('anonymous pull works for public repositories only', async () => {
      const anon = await token(srv, [`repository:${o.org}/a:pull`]);
      expect(claims(anon).access[0]?.actions).toEqual([]);
      expect((await registry(`/v2/${o.org}/a/manifests/v1`, anon)).status).toBe(401);
      const ownerApi = await apiLogin(srv, o.user, o.password);
      const visibility = (v: string) => api(srv, `/organizations/${o.org}`, ownerApi, { method: 'PATCH', body: JSON.stringify({ visibility: v }) });
      expect((await visibility('public')).status).toBe(200);
      try {
        const pub = await token(srv, [`repository:${o.org}/a:pull,push`]);
        expect(claims(pub).access[0]?.actions).toEqual(['pull']);
        expect((await registry(`/v2/${o.org}/a/manifests/v1`, pub)).status).toBe(200);
      } finally {
        await visibility('private');
      }
    });

    it('a member gets the level granted on the organization', async () => {
      const ownerApi = await apiLogin(srv, o.user, o.password);
      const created = await api(srv, `/accounts/${o.accountId}/users`, ownerApi, { method: 'POST', body: JSON.stringify({ username: `${o.user}m`, password: 'member-password' }) });
      expect(created.status).toBe(201);
      const auth = basic(`${o.user}m`, 'member-password');
      expect(claims(await token(srv, [`repository:${o.org}/a:pull`], auth)).access[0]?.actions).toEqual([]);
      const granted = await api(srv, `/organizations/${o.org}/members/${o.user}m`, ownerApi, { method: 'PUT', body: JSON.stringify({ level: 'read' }) });
      expect(granted.status).toBe(200);
      expect(claims(await token(srv, [`repository:${o.org}/a:pull,push`], auth)).access[0]?.actions).toEqual(['pull']);
    });
  });

  describe('OAuth2 form (containerd) and refresh tokens', () => {
    it('grant_type=password issues an access and refresh token; refresh works until the credential is revoked', async () => {
      const o = await owner('oauth');
      const bearer = await apiLogin(srv, o.user, o.password);
      const k = (await (await api(srv, '/access-keys', bearer, { method: 'POST' })).json()) as { accessKey: string; secretKey: string; loginUsername: string };
      const form = (fields: Record<string, string>) =>
        fetch(`${srv.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
      const res = await form({
        grant_type: 'password',
        username: k.loginUsername,
        password: loginKeyByShell(k.accessKey, k.secretKey),
        service: 'wharf-registry',
        scope: `repository:${o.org}/app:pull,push`,
        access_type: 'offline',
        client_id: 'containerd',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string; refresh_token: string };
      expect(claims(body.access_token).access[0]?.actions).toEqual(['pull', 'push']);
      const refreshed = await form({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: 'wharf-registry', scope: `repository:${o.org}/app:pull` });
      expect(refreshed.status).toBe(200);
      // The refreshed token is the same user's, with exactly the newly asked scope.
      const fresh = claims(((await refreshed.json()) as { access_token: string }).access_token);
      expect(fresh.sub).toBe(o.user);
      expect(fresh.access).toEqual([{ type: 'repository', name: `${o.org}/app`, actions: ['pull'] }]);
      await api(srv, `/access-keys/${k.accessKey}`, bearer, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
      const revoked = await form({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: 'wharf-registry' });
      expect(revoked.status).toBe(401);
      expect((await form({ grant_type: 'client_credentials' })).status).toBe(405);
    });
  });

  it('GET /token with offline_token=true (docker login) answers without a refresh token, so podman login still works beside docker', async () => {
    const o = await owner('offline');
    const q = new URLSearchParams({ service: 'wharf-registry', offline_token: 'true', client_id: 'docker', account: o.user });
    const res = await fetch(`${srv.url}/token?${q}`, { headers: { authorization: basic(o.user, o.password) } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(typeof body['token']).toBe('string');
    expect(body).not.toHaveProperty('refresh_token');
  });

  describe('management API sign-in', () => {
    it('signs in, says who I am, and refuses without or with a bad token', async () => {
      const o = await owner('me');
      const bearer = await apiLogin(srv, o.user, o.password);
      const me = await api(srv, '/auth/me', bearer);
      expect(await me.json()).toEqual({ id: o.userId, username: o.user, accountId: o.accountId, role: 'owner', isAdmin: false });
      const anonymous = await fetch(`${srv.url}/api/v1/auth/me`);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      // A registry token is not an API token.
      const registryToken = await token(srv, [], o.auth);
      expect((await api(srv, '/auth/me', registryToken)).status).toBe(401);
    });

    it('rejects unknown fields and wrong types, naming the field', async () => {
      const res = await fetch(`${srv.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'a', password: 'b', extra: 1 }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('extra');
      const wrongType = await fetch(`${srv.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 1, password: 'b' }),
      });
      expect(((await wrongType.json()) as { error: { field: string } }).error.field).toBe('username');
    });
  });
});
