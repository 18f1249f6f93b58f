import { randomUUID } from 'node:crypto';
import { requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, claims, names, token } from './support/auth-helpers';
import { startRegistryProcess } from './support/test-registry';
import { startTestServer, TestServer } from './support/test-server';

const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const DAY = 24 * 3600 * 1000;

(databaseUrl && redisUrl ? describe : describe.skip)('repositories, tags, shares and audit API', () => {
  let srv: TestServer;
  let a: Awaited<ReturnType<typeof owner>>;
  let b: Awaited<ReturnType<typeof owner>>;
  const json = async (res: Response) => (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  async function owner(prefix: string) {
    const n = names(prefix);
    const password = `pw-${randomUUID()}`;
    const ids = await srv.accounts.createAccountWithOwner(n.account, n.user, password);
    return { ...n, ...ids, password, auth: basic(n.user, password), bearer: await apiLogin(srv, n.user, password) };
  }

  /** Pushes an image with one layer under the given tags through the registry. */
  async function push(who: { auth: string }, repo: string, tags: string[], layer: string): Promise<{ digest: string; size: number }> {
    const t = await token(srv, [`repository:${repo}:pull,push`], who.auth);
    const h = { authorization: `Bearer ${t}` };
    const config = Buffer.from(`{"layer":"${layer}"}`);
    for (const blob of [config, Buffer.from(layer)]) {
      expect((await fetch(`${srv.url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers: h })).status).toBe(201);
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    });
    for (const tag of tags.length ? tags : [sha256(manifest)]) {
      const res = await fetch(`${srv.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...h, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
      expect(res.status).toBe(201);
    }
    return { digest: sha256(manifest), size: Buffer.byteLength(manifest) };
  }

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    a = await owner('repa');
    b = await owner('repb');
    await push(a, `${a.org}/web`, ['v1', 'v2', 'latest'], 'web layer');
    await push(a, `${a.org}/team/db`, ['v1'], 'db layer bytes');
  });
  afterAll(() => srv?.close());

  it('lists what the caller may see, with filters, sort and pagination', async () => {
    const mine = await json(await api(srv, `/repositories?org=${a.org}&sort=name`, a.bearer));
    expect(mine.total).toBe(2);
    expect(mine.items.map((r: { name: string }) => r.name)).toEqual([`${a.org}/team/db`, `${a.org}/web`]);
    expect(mine.items[1]).toMatchObject({ organization: a.org, tagCount: 3, visibility: 'private', category: 'other', address: `${srv.host}/${a.org}/web` });
    expect((await json(await api(srv, `/repositories?org=${a.org}`, b.bearer))).total).toBe(0);
    expect((await json(await api(srv, `/repositories?org=${a.org}&q=team`, a.bearer))).items.map((r: { name: string }) => r.name)).toEqual([`${a.org}/team/db`]);
    const paged = await json(await api(srv, `/repositories?org=${a.org}&sort=name&page=2&pageSize=1`, a.bearer));
    expect(paged).toMatchObject({ total: 2, items: [{ name: `${a.org}/web` }] });
    for (const [query, field] of [['sort=size', 'sort'], ['filter=all', 'filter'], ['category=games', 'category'], ['pageSize=101', 'pageSize'], ['color=red', 'color']]) {
      const res = await api(srv, `/repositories?${query}`, a.bearer);
      expect([query, res.status, (await json(res)).error.field]).toEqual([query, 400, field]);
    }
  });

  it('shows and edits attributes, validating each field', async () => {
    const repo = `${a.org}/team%2Fdb`;
    const got = await json(await api(srv, `/repositories/${repo}`, a.bearer));
    expect(got).toMatchObject({ name: `${a.org}/team/db`, pullCommand: `docker pull ${srv.host}/${a.org}/team/db:latest` });
    const patched = await json(await api(srv, `/repositories/${repo}`, a.bearer, { method: 'PATCH', body: JSON.stringify({ description: '# DB\nMarkdown', category: 'database' }) }));
    expect(patched).toMatchObject({ description: '# DB\nMarkdown', category: 'database' });
    expect((await json(await api(srv, `/repositories?org=${a.org}&category=database`, a.bearer))).total).toBe(1);
    for (const [body, field] of [
      [{ description: 'x'.repeat(30_001) }, 'description'],
      [{ category: 'games' }, 'category'],
      [{ visibility: 'hidden' }, 'visibility'],
      [{ owner: 'me' }, 'owner'],
    ] as const) {
      const res = await api(srv, `/repositories/${repo}`, a.bearer, { method: 'PATCH', body: JSON.stringify(body) });
      expect([JSON.stringify(body).slice(0, 40), res.status, (await json(res)).error.field]).toEqual([JSON.stringify(body).slice(0, 40), 400, field]);
    }
    expect((await api(srv, `/repositories/${repo}`, b.bearer)).status).toBe(404);
  });

  it('an edit grant may change description and category but not visibility; manage may', async () => {
    const repo = `${a.org}/web`;
    const editorPassword = `pw-${randomUUID()}`;
    const editor = `${a.user}ed`;
    expect((await api(srv, `/accounts/${a.accountId}/users`, a.bearer, { method: 'POST', body: JSON.stringify({ username: editor, password: editorPassword }) })).status).toBe(201);
    expect((await api(srv, `/repositories/${repo}/members/${editor}`, a.bearer, { method: 'PUT', body: JSON.stringify({ level: 'edit' }) })).status).toBe(200);
    const bearer = await apiLogin(srv, editor, editorPassword);
    const patch = (body: unknown) => api(srv, `/repositories/${repo}`, bearer, { method: 'PATCH', body: JSON.stringify(body) });
    expect((await patch({ description: 'edited by an editor' })).status).toBe(200);
    const refused = await patch({ visibility: 'public' });
    expect(refused.status).toBe(403);
    expect((await json(await api(srv, `/repositories/${repo}`, a.bearer))).visibility).toBe('private');
    expect((await api(srv, `/repositories/${repo}/members/${editor}`, a.bearer, { method: 'PUT', body: JSON.stringify({ level: 'manage' }) })).status).toBe(200);
    expect((await patch({ visibility: 'public' })).status).toBe(200);
    expect((await patch({ visibility: 'private' })).status).toBe(200);
  });

  it('lists tags with digest, size and pull command; deletes one or many', async () => {
    const repo = `${a.org}/web`;
    const tags = await json(await api(srv, `/repositories/${repo}/tags?sort=name`, a.bearer));
    expect(tags.items.map((t: { tag: string }) => t.tag)).toEqual(['latest', 'v1', 'v2']);
    expect(tags.items[0]).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      pullCommand: `docker pull ${srv.host}/${repo}:latest`,
      pushedBy: a.user,
      platforms: [],
    });
    const pushes = await srv.pool.query(`SELECT actor FROM audit_events WHERE action = 'manifest.push' AND resource = $1`, [`${repo}:latest`]);
    expect(pushes.rows.map((r) => r.actor)).toEqual([a.user]);
    expect((await json(await api(srv, `/repositories/${repo}`, a.bearer))).size).toBe(Buffer.byteLength('web layer') + Buffer.byteLength('{"layer":"web layer"}'));
    expect(tags.items[0].size).toBeGreaterThan('web layer'.length);
    expect((await json(await api(srv, `/repositories/${repo}/tags?q=v`, a.bearer))).total).toBe(2);
    expect((await api(srv, `/repositories/${repo}/tags/latest`, a.bearer, { method: 'DELETE' })).status).toBe(204);
    const batch = await api(srv, `/repositories/${repo}/tags:batchDelete`, a.bearer, { method: 'POST', body: JSON.stringify({ tags: ['v1', 'nope'] }) });
    expect(await json(batch)).toEqual({ deleted: ['v1'] });
    const t = await token(srv, [`repository:${repo}:pull`], a.auth);
    const registryTags = await json(await fetch(`${srv.url}/v2/${repo}/tags/list`, { headers: { authorization: `Bearer ${t}` } }));
    expect(registryTags.tags).toEqual(['v2']);
    expect((await json(await api(srv, `/repositories/${repo}/tags:batchDelete`, a.bearer, { method: 'POST', body: JSON.stringify({ tags: ['-bad'] }) }))).error.field).toBe('tags');
  });

  it('shares a private repository with another account until the deadline', async () => {
    const repo = `${a.org}/web`;
    const deadline = new Date(Date.now() + DAY).toISOString();
    const res = await api(srv, `/repositories/${repo}/shares`, a.bearer, { method: 'POST', body: JSON.stringify({ account: b.account, deadline, description: 'for the partner team' }) });
    expect(res.status).toBe(201);
    expect(claims(await token(srv, [`repository:${repo}:pull,push`], b.auth)).access[0]?.actions).toEqual(['pull']);
    expect((await json(await api(srv, '/repositories?filter=shared-with-me', b.bearer))).items.map((r: { name: string }) => r.name)).toContain(repo);
    expect((await json(await api(srv, '/repositories?filter=shared-by-me', a.bearer))).items.map((r: { name: string }) => r.name)).toEqual([repo]);
    const sharedWithB = async (filter: string) =>
      (await json(await api(srv, `/repositories${filter}`, b.bearer))).items.filter((r: { name: string }) => r.name === repo);
    expect(await sharedWithB('?filter=shared-with-me')).toEqual([expect.objectContaining({ share: { deadline, expired: false } })]);
    expect(await sharedWithB('')).toHaveLength(1);
    srv.clock.advance(DAY + 1000);
    try {
      expect(claims(await token(srv, [`repository:${repo}:pull`], b.auth)).access[0]?.actions).toEqual([]);
      // Ended: listed under "shared with me" marked expired, and in no other list.
      expect(await sharedWithB('?filter=shared-with-me')).toEqual([expect.objectContaining({ share: { deadline, expired: true } })]);
      expect(await sharedWithB('')).toEqual([]);
      expect(await sharedWithB(`?org=${a.org}`)).toEqual([]);
      expect((await api(srv, `/repositories/${repo}`, b.bearer)).status).toBe(404);
      expect((await json(await api(srv, `/repositories/${repo}/shares`, a.bearer))).items).toEqual([
        expect.objectContaining({ account: b.account, expired: true, description: 'for the partner team', permission: 'pull' }),
      ]);
    } finally {
      srv.clock.advance(-(DAY + 1000));
    }
    expect((await api(srv, `/repositories/${repo}/shares/${b.account}`, a.bearer, { method: 'DELETE' })).status).toBe(204);
    expect(claims(await token(srv, [`repository:${repo}:pull`], b.auth)).access[0]?.actions).toEqual([]);
  });

  it('refuses bad shares, naming the field', async () => {
    const repo = `${a.org}/web`;
    const cases: [Record<string, unknown>, string][] = [
      [{ account: a.account, deadline: 'forever' }, 'account'],
      [{ account: `nobody-${randomUUID()}`, deadline: 'forever' }, 'account'],
      [{ account: b.account, deadline: '2001-01-01' }, 'deadline'],
      [{ account: b.account, deadline: 'soon' }, 'deadline'],
      [{ account: b.account, deadline: 'forever', description: 'x'.repeat(1001) }, 'description'],
      [{ account: b.account, deadline: 'forever', permission: 'push' }, 'permission'],
    ];
    for (const [body, field] of cases) {
      const res = await api(srv, `/repositories/${repo}/shares`, a.bearer, { method: 'POST', body: JSON.stringify(body) });
      expect([field, res.status, (await json(res)).error.field]).toEqual([field, 400, field]);
    }
    await api(srv, `/repositories/${repo}`, a.bearer, { method: 'PATCH', body: JSON.stringify({ visibility: 'public' }) });
    const pub = await api(srv, `/repositories/${repo}/shares`, a.bearer, { method: 'POST', body: JSON.stringify({ account: b.account, deadline: 'forever' }) });
    expect((await json(pub)).error.message).toContain('public repositories need no sharing');
    await api(srv, `/repositories/${repo}`, a.bearer, { method: 'PATCH', body: JSON.stringify({ visibility: 'private' }) });
  });

  it('searches the audit log by action, resource and time; only owners and administrators may', async () => {
    const events = await json(await api(srv, `/audit-events?action=share.create&resource=${encodeURIComponent(`${a.org}/web`)}`, a.bearer));
    expect(events.total).toBeGreaterThanOrEqual(1);
    expect(events.items[0]).toMatchObject({ actor: a.user, action: 'share.create', resource: `${a.org}/web`, result: 'success' });
    const future = await json(await api(srv, `/audit-events?from=${new Date(Date.now() + DAY).toISOString()}`, a.bearer));
    expect(future.total).toBe(0);
    expect((await json(await api(srv, '/audit-events?from=yesterday', a.bearer))).error.field).toBe('from');
    // Another account's owner does not see these events.
    expect((await json(await api(srv, `/audit-events?resource=${encodeURIComponent(`${a.org}/web`)}`, b.bearer))).total).toBe(0);
    // Each kind of action this suite performed left its entry.
    const kinds = await json(await api(srv, `/audit-events?actor=${a.user}&pageSize=100`, a.bearer));
    const actions = new Set(kinds.items.map((e: { action: string }) => e.action));
    for (const action of ['login', 'organization.create', 'manifest.push', 'repository.update', 'tag.delete', 'share.create', 'share.delete']) {
      expect([action, actions.has(action)]).toEqual([action, true]);
    }
    await srv.accounts.createMember(a.accountId, `${a.user}m`, 'member-password');
    expect((await api(srv, '/audit-events', await apiLogin(srv, `${a.user}m`, 'member-password'))).status).toBe(403);
  });

  it('lists the platforms of an index tag', async () => {
    const repo = `${a.org}/multi`;
    const child = await push(a, repo, [], 'multi layer');
    const t = await token(srv, [`repository:${repo}:pull,push`], a.auth);
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: child.size, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: child.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    });
    const put = await fetch(`${srv.url}/v2/${repo}/manifests/v1`, { method: 'PUT', body, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    expect(put.status).toBe(201);
    const tags = await json(await api(srv, `/repositories/${repo}/tags`, a.bearer));
    expect(tags.items[0]).toMatchObject({ tag: 'v1', mediaType: 'application/vnd.oci.image.index.v1+json', platforms: ['linux/amd64', 'linux/arm64/v8'] });
  });

  it('counts each manifest GET once for the repository and the tag (HEAD does not count)', async () => {
    const repo = `${a.org}/counted`;
    const { digest } = await push(a, repo, ['v1'], 'counted layer');
    const t = await token(srv, [`repository:${repo}:pull`], a.auth);
    const h = { authorization: `Bearer ${t}` };
    for (let i = 0; i < 3; i++) expect((await fetch(`${srv.url}/v2/${repo}/manifests/v1`, { headers: h })).status).toBe(200);
    await fetch(`${srv.url}/v2/${repo}/manifests/v1`, { method: 'HEAD', headers: h });
    await fetch(`${srv.url}/v2/${repo}/manifests/${digest}`, { headers: h });
    // No hand flush: the replica's own timers (to Redis each second, to Postgres every 5 s) must do it.
    const deadline = Date.now() + 12_000;
    let count = 0;
    while (count < 4 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      count = (await json(await api(srv, `/repositories/${repo}`, a.bearer))).downloadCount;
    }
    expect(count).toBe(4);
    expect((await json(await api(srv, `/repositories/${repo}/tags`, a.bearer))).items[0]).toMatchObject({ tag: 'v1', downloadCount: 3 });
  });

  it('deleted repositories and tags are served from no cache afterwards, on this replica or another', async () => {
    const other = await startRegistryProcess(databaseUrl as string, { env: { REDIS_URL: redisUrl as string } });
    try {
      const repo = `${a.org}/cached`;
      const { digest } = await push(a, repo, ['v1', 'v2'], 'cached layer');
      const t = await token(srv, [`repository:${repo}:pull`], a.auth);
      const here = (path: string) => fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
      const there = (path: string) => fetch(`${other.url}${path}`).then((r) => r.status);
      const paths = [`/v2/${repo}/manifests/v1`, `/v2/${repo}/manifests/${digest}`, `/v2/${repo}/tags/list`];
      for (const p of paths) expect([p, await here(p), await there(p)]).toEqual([p, 200, 200]); // now cached on both

      const batch = await api(srv, `/repositories/${a.org}/cached/tags:batchDelete`, a.bearer, { method: 'POST', body: JSON.stringify({ tags: ['v1'] }) });
      expect(batch.status).toBe(200);
      expect(await here(`/v2/${repo}/manifests/v1`)).toBe(404);
      await new Promise((r) => setTimeout(r, 100)); // the other replica hears it over Redis
      expect(await there(`/v2/${repo}/manifests/v1`)).toBe(404);

      expect((await api(srv, `/repositories/${a.org}/cached`, a.bearer, { method: 'DELETE' })).status).toBe(204);
      for (const p of paths) expect([p, await here(p)]).toEqual([p, 404]);
      await new Promise((r) => setTimeout(r, 100));
      for (const p of paths) expect([p, await there(p)]).toEqual([p, 404]);
    } finally {
      await other.close();
    }
  });

  it('deletes a repository (manage only) and the registry forgets it', async () => {
    const repo = `${a.org}/team%2Fdb`;
    expect((await api(srv, `/repositories/${repo}`, b.bearer, { method: 'DELETE' })).status).toBe(404);
    expect((await api(srv, `/repositories/${repo}`, a.bearer, { method: 'DELETE' })).status).toBe(204);
    expect((await api(srv, `/repositories/${repo}`, a.bearer)).status).toBe(404);
    const t = await token(srv, [`repository:${a.org}/team/db:pull`], a.auth);
    expect((await fetch(`${srv.url}/v2/${a.org}/team/db/tags/list`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(404);
  });
});
