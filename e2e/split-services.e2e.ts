import { OciTestClient, requireService, sha256 } from '@wharf/testing';
import { startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';
import { TEST_ADMIN_PASSWORD, TEST_SECRET_KEY } from './support/test-server';

/**
 * The services as a cluster runs them, each its own process over one Postgres and Redis: `auth`
 * (sign-in and registry tokens), `org` (the management API), and two `registry` replicas that
 * fetch the auth service's keys. A user signs in at auth, manages at org, pushes and pulls at a
 * registry; a delete at org leaves both registry replicas' caches at once. (The ingress in front
 * of them, and the workers, come with the chart.)
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('services in separate processes', () => {
  let auth: TestRegistry;
  let org: TestRegistry;
  let replicas: TestRegistry[];
  const shared = () => ({ REDIS_URL: redisUrl as string, WHARF_SECRET_KEY: TEST_SECRET_KEY, WHARF_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });

  beforeAll(async () => {
    auth = await startRegistryProcess(databaseUrl as string, { app: 'auth', env: shared() });
    // org and the registry check tokens with the keys auth publishes.
    const jwks = { WHARF_AUTH_JWKS_URL: `${auth.url}/token/jwks.json` };
    const registry = { ...shared(), ...jwks, WHARF_AUTH: 'token', WHARF_PUBLIC_URL: auth.url };
    [org, ...replicas] = await Promise.all([
      startRegistryProcess(databaseUrl as string, { app: 'org', env: { ...shared(), ...jwks } }),
      ...[1, 2].map(() => startRegistryProcess(databaseUrl as string, { env: registry })),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([auth, org, ...(replicas ?? [])].map((p) => p?.close()));
  });

  it('each service answers its own paths only, and is ready', async () => {
    for (const s of [auth, org, ...replicas]) expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${org.url}/token/jwks.json`)).status).toBe(404);
    expect((await fetch(`${org.url}/api/v1/auth/login`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${auth.url}/api/v1/organizations`)).status).toBe(404);
    expect((await fetch(`${org.url}/api/docs-json`)).status).toBe(200);
    const challenge = await fetch(`${replicas[0]?.url}/v2/`);
    expect(challenge.headers.get('www-authenticate')).toContain(`realm="${auth.url}/token"`);
  });

  it('sign in at auth, create at org, push to one replica, pull from the other, delete at org: gone from both', async () => {
    const login = await fetch(`${auth.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    const bearer = ((await login.json()) as { accessToken: string }).accessToken;
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${org.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const name = uniqueOrg('split');
    expect((await api('POST', '/organizations', { name })).status).toBe(201);

    const basic = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`;
    const tokenRes = await fetch(`${auth.url}/token?service=wharf-registry&scope=repository:${name}/app:pull,push`, { headers: { authorization: basic } });
    const headers = { authorization: `Bearer ${((await tokenRes.json()) as { token: string }).token}` };
    const [one, two] = replicas.map((r) => new OciTestClient(r.url)) as [OciTestClient, OciTestClient];
    const layer = Buffer.from(`split layer ${name}`);
    expect((await one.request(`/v2/${name}/app/blobs/uploads/?digest=${sha256(layer)}`, { method: 'POST', body: layer, headers })).status).toBe(201);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(layer), size: layer.length },
      layers: [],
    });
    const put = await one.request(`/v2/${name}/app/manifests/v1`, { method: 'PUT', body: manifest, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(put.status).toBe(201);
    for (const r of [one, two]) expect(await (await r.request(`/v2/${name}/app/manifests/v1`, { headers })).text()).toBe(manifest);

    const listed = (await (await api('GET', `/repositories?org=${name}`)).json()) as { items: { name: string }[] };
    expect(listed.items.map((i) => i.name)).toEqual([`${name}/app`]);
    expect((await api('DELETE', `/repositories/${name}/app`)).status).toBe(204);
    await new Promise((r) => setTimeout(r, 100));
    for (const r of [one, two]) expect((await r.request(`/v2/${name}/app/manifests/v1`, { headers })).status).toBe(404);
  });

  it('every service serves Prometheus metrics of the requests it answered, by route pattern', async () => {
    const scrape = async (s: TestRegistry) => (await fetch(`${s.url}/metrics`)).text();
    const [registryText, orgText, authText] = await Promise.all([scrape(replicas[0] as TestRegistry), scrape(org), scrape(auth)]);
    expect(registryText).toMatch(/wharf_http_requests_total\{service="registry",route="v2:manifest",method="PUT",status="201"\} 1/);
    expect(registryText).toMatch(/wharf_http_body_bytes_total\{service="registry",route="v2:upload-start",method="POST",direction="in"\} \d+/);
    expect(orgText).toMatch(/wharf_http_requests_total\{service="org",route="\/api\/v1\/organizations",method="POST",status="201"\} 1/);
    expect(orgText).toMatch(/wharf_http_requests_total\{service="org",route="\/api\/v1\/repositories\/:org\/:repo",method="DELETE",status="204"\} 1/);
    expect(authText).toMatch(/wharf_http_requests_total\{service="auth",route="\/api\/v1\/auth\/login",method="POST",status="200"\} 1/);
    for (const text of [registryText, orgText, authText]) expect(text).toMatch(/process_resident_memory_bytes \d+/);
    for (const s of [auth, org]) expect((await fetch(`${s.url}/readyz`, { headers: { 'x-request-id': 'split-1' } })).headers.get('x-request-id')).toBe('split-1');
  });

  it('the org service checks API tokens against the keys auth publishes, as the registry does', async () => {
    const jwksFetches = async () =>
      Number(/wharf_http_requests_total\{service="auth",route="\/token\/jwks.json",method="GET",status="200"\} (\d+)/.exec(await (await fetch(`${auth.url}/metrics`)).text())?.[1] ?? 0);
    const login = await fetch(`${auth.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    const bearer = ((await login.json()) as { accessToken: string }).accessToken;
    const me = (t: string, at = org) => fetch(`${at.url}/api/v1/organizations?pageSize=1`, { headers: { authorization: `Bearer ${t}` } });
    expect((await me(bearer)).status).toBe(200);
    const before = await jwksFetches();
    for (let i = 0; i < 10; i++) expect((await me(bearer)).status).toBe(200); // cached: no fetch per request
    expect(await jwksFetches()).toBe(before);
    // A key id nobody published: org asks auth once, then refuses.
    const [h, p, sig] = bearer.split('.') as [string, string, string];
    const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), kid: 'not-published' };
    expect((await me(`${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${sig}`)).status).toBe(401);
    expect(await jwksFetches()).toBe(before + 1);
    // An org service or a registry that cannot reach auth answers 503, not 401 or 500.
    const dead = { ...shared(), WHARF_AUTH: 'token', WHARF_AUTH_JWKS_URL: 'http://127.0.0.1:9/token/jwks.json' };
    const [cutOrg, cutRegistry] = await Promise.all([
      startRegistryProcess(databaseUrl as string, { app: 'org', env: dead }),
      startRegistryProcess(databaseUrl as string, { env: dead }),
    ]);
    try {
      const res = await me(bearer, cutOrg);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/signing keys could not be fetched/);
      const basic = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`;
      const registryToken = ((await (await fetch(`${auth.url}/token?service=wharf-registry`, { headers: { authorization: basic } })).json()) as { token: string }).token;
      const v2 = await fetch(`${cutRegistry.url}/v2/`, { headers: { authorization: `Bearer ${registryToken}` } });
      expect(v2.status).toBe(503);
      expect(((await v2.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAVAILABLE');
    } finally {
      await Promise.all([cutOrg.close(), cutRegistry.close()]);
    }
  });

  it('the org service says which settings are missing', async () => {
    await expect(startRegistryProcess(databaseUrl as string, { app: 'org', env: { REDIS_URL: redisUrl as string } })).rejects.toThrow(
      /WHARF_SECRET_KEY is required for the org service/,
    );
  });
});
