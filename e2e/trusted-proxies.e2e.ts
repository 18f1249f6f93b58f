import { randomUUID } from 'node:crypto';
import { requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, names, token } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';

/**
 * Behind an ingress every request comes from the ingress's address: the client's is in
 * X-Forwarded-For, believed only from WHARF_TRUSTED_PROXIES (default loopback; here the test is
 * the proxy). Login limits, the audit log of logins and of pushes see the real client.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('X-Forwarded-For from trusted proxies', () => {
  let trusting: TestServer;
  let distrusting: TestServer;
  let admin: string;
  beforeAll(async () => {
    [trusting, distrusting] = await Promise.all([
      startTestServer(databaseUrl as string, redisUrl as string),
      startTestServer(databaseUrl as string, redisUrl as string, { WHARF_TRUSTED_PROXIES: '10.0.0.0/8' }),
    ]);
    admin = await apiLogin(trusting, 'admin', 'admin-password');
  });
  afterAll(async () => {
    await Promise.all([trusting?.close(), distrusting?.close()]);
  });

  const login = (srv: TestServer, user: string, password: string, xff: string) =>
    fetch(`${srv.url}/token?service=wharf-registry`, { headers: { authorization: basic(user, password), 'x-forwarded-for': xff } }).then((r) => r.status);
  const lastLoginAddress = async (actor: string) => {
    const events = (await (await api(trusting, `/audit-events?action=login&actor=${actor}&pageSize=1`, admin)).json()) as { items: { clientAddress: string }[] };
    return events.items[0]?.clientAddress;
  };

  it('login limits and the audit log use the client behind the proxy, never an address the client names itself', async () => {
    const n = names('xff');
    await trusting.accounts.createAccountWithOwner(n.account, n.user, 'owner-password-1');
    for (let i = 0; i < 5; i++) expect(await login(trusting, n.user, `guess-${i}`, '203.0.113.9')).toBe(401);
    expect(await lastLoginAddress(n.user)).toBe('203.0.113.9');
    expect(await login(trusting, n.user, 'owner-password-1', '203.0.113.9')).toBe(429);
    expect(await login(trusting, n.user, 'owner-password-1', '203.0.113.10')).toBe(200);
    // A client that sends its own X-Forwarded-For through the proxy: only the hop the proxy added counts.
    expect(await login(trusting, n.user, 'owner-password-1', '198.51.100.7, 203.0.113.11')).toBe(200);
    expect(await lastLoginAddress(n.user)).toBe('203.0.113.11');
  });

  it('an address not in WHARF_TRUSTED_PROXIES is not believed', async () => {
    const n = names('xffno');
    await distrusting.accounts.createAccountWithOwner(n.account, n.user, 'owner-password-2');
    expect(await login(distrusting, n.user, 'owner-password-2', '203.0.113.20')).toBe(200);
    expect(await lastLoginAddress(n.user)).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('a push is audited with the client behind the proxy', async () => {
    const n = names('xffpush');
    await trusting.accounts.createAccountWithOwner(n.account, n.user, 'owner-password-3');
    const bearer = await token(trusting, [`repository:${n.org}/app:pull,push`], basic(n.user, 'owner-password-3'));
    const config = Buffer.from(`{"id":"${randomUUID()}"}`);
    const headers = { authorization: `Bearer ${bearer}`, 'x-forwarded-for': '203.0.113.30' };
    expect((await fetch(`${trusting.url}/v2/${n.org}/app/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config, headers })).status).toBe(201);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    });
    const put = await fetch(`${trusting.url}/v2/${n.org}/app/manifests/v1`, {
      method: 'PUT',
      body: manifest,
      headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(put.status).toBe(201);
    await new Promise((r) => setTimeout(r, 200)); // the audit write does not hold up the response
    const events = (await (await api(trusting, `/audit-events?action=manifest.push&resource=${n.org}/app:v1`, admin)).json()) as { items: { clientAddress: string }[] };
    expect(events.items[0]?.clientAddress).toBe('203.0.113.30');
  });
});
