import { randomUUID } from 'node:crypto';
import { requireService } from '@wharf/testing';
import { api, apiLogin, basic, names, token } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';

/**
 * The edges of every surface: NUL bytes and out-of-range values answer 400 (never 500), `/api`
 * errors always use the SPEC envelope (unknown routes, bad JSON, bodies over the limit), and the
 * Nest side sends its security headers.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('API edges: bad input, error envelope, headers', () => {
  let srv: TestServer;
  let admin: string;
  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    admin = await apiLogin(srv, 'admin', 'admin-password');
  });
  afterAll(() => srv?.close());

  it('NUL bytes and out-of-range values in queries, paths and credentials answer 400', async () => {
    for (const path of [
      '/repositories?q=%00',
      '/repositories?org=a%00b',
      '/audit-events?actor=%00',
      '/audit-events?resource=x%00',
      '/audit-events?from=-200000-01-01T00:00:00Z',
      '/audit-events?to=99999-12-31T00:00:00Z',
      '/repositories/a%00b/c',
      '/organizations/x%00y',
    ]) {
      const res = await api(srv, path, admin);
      const body = (await res.json()) as { error?: { code: string } };
      expect([path, res.status, body.error?.code]).toEqual([path, 400, 'INVALID_ARGUMENT']);
    }
    const nulLogin = await fetch(`${srv.url}/token?service=wharf-registry`, { headers: { authorization: `Basic ${Buffer.from('adm\0in:pw').toString('base64')}` } });
    expect(nulLogin.status).toBe(400);
    const apiNul = await fetch(`${srv.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'adm\u0000in', password: 'x' }),
    });
    expect(apiNul.status).toBe(400);
    const n = names('nul');
    const catalogToken = await token(srv, ['registry:catalog:*', `repository:${n.org}/app:pull`], basic('admin', 'admin-password'));
    for (const path of ['/v2/_catalog?last=%00', `/v2/${n.org}/app/tags/list?last=%00`]) {
      const res = await fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${catalogToken}` } });
      const body = (await res.json()) as { errors: { code: string }[] };
      expect([path, res.status, body.errors[0]?.code]).toEqual([path, 400, 'INVALID_ARGUMENT']);
    }
  });

  it('unknown routes, bad JSON and bodies over the limit answer in the SPEC envelope', async () => {
    const unknown = await api(srv, '/no-such-thing', admin);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no API endpoint GET /api/v1/no-such-thing' } });
    const badJson = await api(srv, '/organizations', admin, { method: 'POST', body: '{bad' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field: 'body', message: expect.stringContaining('not valid JSON') } });
    const huge = await api(srv, '/organizations', admin, { method: 'POST', body: JSON.stringify({ name: 'x'.repeat(2_000_000) }) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('a user of another account is not found, and the answer does not name that account', async () => {
    const owner = names('edgeown');
    const other = names('edgeoth');
    const ownerIds = await srv.accounts.createAccountWithOwner(owner.account, owner.user, 'owner-password-1');
    const otherIds = await srv.accounts.createAccountWithOwner(other.account, other.user, 'other-password-1');
    const bearer = await apiLogin(srv, owner.user, 'owner-password-1');
    expect(ownerIds.accountId).not.toBe(otherIds.accountId);
    const res = await api(srv, `/users/${otherIds.userId}`, bearer, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).toContain(`user ${otherIds.userId} not found`);
    expect(text).not.toContain(otherIds.accountId);
    expect((await api(srv, `/users/${randomUUID()}`, bearer, { method: 'PATCH', body: '{}' })).status).toBe(404);
  });

  it('sends security headers on /api and /api/docs, no X-Powered-By, and no-store on logins', async () => {
    const login = await fetch(`${srv.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password' }),
    });
    expect(login.status).toBe(200);
    for (const res of [login, await api(srv, '/auth/me', admin), await fetch(`${srv.url}/api/docs`)]) {
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${srv.url}/token?service=wharf-registry`, { headers: { authorization: basic('admin', 'admin-password') } })).headers.get('cache-control')).toBe('no-store');
    const docs = await fetch(`${srv.url}/api/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('every answer carries a request id: the one the client sent when it is sane, else a new one', async () => {
    for (const path of ['/v2/', '/token?service=wharf-registry', '/api/v1/no-such-thing', '/healthz']) {
      const made = await fetch(`${srv.url}${path}`);
      expect([path, made.headers.get('x-request-id')]).toEqual([path, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      const kept = await fetch(`${srv.url}${path}`, { headers: { 'x-request-id': 'trace-abc.123' } });
      expect([path, kept.headers.get('x-request-id')]).toEqual([path, 'trace-abc.123']);
      const replaced = await fetch(`${srv.url}${path}`, { headers: { 'x-request-id': 'no spaces <or> markup' } });
      expect([path, replaced.headers.get('x-request-id')]).toEqual([path, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    }
  });
});
