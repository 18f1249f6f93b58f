import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciTestClient, requireService, sha256 } from '@wharf/testing';
import { busyboxRootfsTar, runAsync } from './support/commands';
import { adminApi, blobsInDatabase, gcRun, GcServer, startGcServer, storedBlobs, verifyPull } from './support/gc-server';
import { uniqueOrg } from './support/test-registry';

/**
 * Garbage collection as an administrator uses it (SPEC §9): runs and dry runs through the API,
 * what a run frees and what it keeps, abandoned uploads, history, usage and audit. Single-machine
 * mode with a grace window of 3 s, on a database of its own. The push storm and the killed worker
 * are in gc-race.e2e.ts and gc-crash.e2e.ts.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const suiteRedis = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');

const GRACE_MS = 3100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = async (res: Response | Promise<Response>) => (await res).json() as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

(suiteDatabase && suiteRedis ? describe : describe.skip)('garbage collection through the API', () => {
  let s: GcServer;
  let c: OciTestClient;
  const org = uniqueOrg('gc');

  beforeAll(async () => {
    s = await startGcServer({ suiteDatabaseUrl: suiteDatabase as string, suiteRedisUrl: suiteRedis as string, redisDb: 11, graceSeconds: 3, prefix: 'gcapi' });
    c = new OciTestClient(s.srv.url);
    expect((await adminApi(s, '/organizations', { method: 'POST', body: JSON.stringify({ name: org }) })).status).toBe(201);
  }, 120_000);
  afterAll(() => s?.close());

  it('frees what a deleted tag left, keeps what another image shares, and records it in history, usage and audit', async () => {
    const base = randomBytes(64 * 1024);
    const onlyA = randomBytes(100 * 1024);
    const onlyB = randomBytes(50 * 1024);
    const a = await c.pushImage(`${org}/app`, 'v1', [base, onlyA]);
    const b = await c.pushImage(`${org}/app`, 'v2', [base, onlyB]);
    const usage = async () => (await json(adminApi(s, `/organizations/${org}/usage`))).usedBytes as number;
    const usedBefore = await usage();
    expect((await c.request(`/v2/${org}/app/manifests/v1`, { method: 'DELETE' })).status).toBe(202);
    await sleep(GRACE_MS); // past the grace window

    const dry = await gcRun(s, { dryRun: true });
    const configA = JSON.parse(a.body).config.size as number;
    expect(dry).toMatchObject({ status: 'succeeded', dryRun: true, manifestsRemoved: 1, blobsRemoved: 2, bytesFreed: onlyA.length + configA });
    expect((await c.request(`/v2/${org}/app/blobs/${sha256(onlyA)}`, { method: 'HEAD' })).status).toBe(200); // nothing removed

    const run = await gcRun(s);
    expect(run).toMatchObject({ status: 'succeeded', dryRun: false, manifestsRemoved: 1, blobsRemoved: 2, bytesFreed: onlyA.length + configA, errors: [] });
    expect(run.durationSeconds).toBeGreaterThanOrEqual(0);
    expect((await c.request(`/v2/${org}/app/blobs/${sha256(onlyA)}`, { method: 'HEAD' })).status).toBe(404);
    expect((await c.request(`/v2/${org}/app/manifests/${a.digest}`)).status).toBe(404);
    expect(await verifyPull(s.srv.url, `${org}/app`, 'v2')).toEqual([]);
    expect(await storedBlobs(s.storage)).toEqual([b.config, sha256(base), sha256(onlyB)].sort());
    const db = await blobsInDatabase(s.db);
    expect(db.rows).toEqual(db.referenced);
    expect(await usage()).toBe(usedBefore - onlyA.length - configA);

    const history = await json(adminApi(s, '/gc/runs?pageSize=2'));
    expect(history.items.map((r: { id: string }) => r.id)).toEqual([run.id, dry.id]);
    const audit = await json(adminApi(s, `/audit-events?action=gc.run&resource=${run.id}`));
    expect(audit.items).toEqual([expect.objectContaining({ actor: 'admin', result: 'success', detail: expect.objectContaining({ blobsRemoved: 2 }) })]);
    expect((await json(adminApi(s, `/audit-events?action=gc.run.request&resource=${run.id}`))).total).toBe(1);
  });

  it('a second run finds nothing more; an untagged manifest younger than the grace window, and its blobs, stay', async () => {
    const young = await c.pushImage(`${org}/young`, null, ['young layer']);
    const run = await gcRun(s);
    expect(run).toMatchObject({ status: 'succeeded', manifestsRemoved: 0, blobsRemoved: 0 });
    expect(await verifyPull(s.srv.url, `${org}/young`, young.digest)).toEqual([]);
    await sleep(GRACE_MS);
    expect(await gcRun(s, { keepUntagged: true })).toMatchObject({ manifestsRemoved: 0, blobsRemoved: 0 });
    expect(await gcRun(s)).toMatchObject({ manifestsRemoved: 1, blobsRemoved: 2 });
  });

  it('a retention policy removes the tags it does not keep (a dry run first), keeps history, and GC frees their bytes', async () => {
    const repo = `${org}/ret`;
    const pushed: Record<string, string> = {};
    for (const tag of ['keep-1', 'v1', 'v2', 'v3', 'v4']) {
      pushed[tag] = (await c.pushImage(repo, tag, [`layer of ${tag} ${randomBytes(8).toString('hex')}`])).digest;
      await sleep(20); // distinct push times
    }
    const path = `/repositories/${org}/ret/retention`;
    for (const [body, field] of [[{}, 'keepLast'], [{ keepLast: 0 }, 'keepLast'], [{ keepDays: 400 }, 'keepDays'], [{ keepLast: 1, exceptions: ['(a+)+'] }, 'exceptions']] as const) {
      const res = await adminApi(s, path, { method: 'PUT', body: JSON.stringify(body) });
      expect([JSON.stringify(body), res.status, (await json(res)).error?.field]).toEqual([JSON.stringify(body), 400, field]);
    }
    expect((await adminApi(s, path)).status).toBe(404); // no policy yet
    const policy = await json(adminApi(s, path, { method: 'PUT', body: JSON.stringify({ keepLast: 2, exceptions: ['keep-.*'], daily: true }) }));
    expect(policy).toMatchObject({ repository: repo, keepLast: 2, keepDays: null, exceptions: ['keep-.*'], daily: true, updatedBy: 'admin' });
    expect(await json(adminApi(s, path))).toEqual(policy);

    const dry = await json(adminApi(s, `${path}:run`, { method: 'POST', body: JSON.stringify({ dryRun: true }) }));
    expect(dry).toMatchObject({ dryRun: true, removed: ['v1', 'v2'], kept: 3 });
    const tags = async () => (await json(c.request(`/v2/${repo}/tags/list`))).tags;
    expect(await tags()).toEqual(['keep-1', 'v1', 'v2', 'v3', 'v4']);
    const done = await json(adminApi(s, `${path}:run`, { method: 'POST', body: '{}' }));
    expect(done).toMatchObject({ dryRun: false, removed: ['v1', 'v2'], kept: 3, trigger: 'api', requestedBy: 'admin' });
    expect(await tags()).toEqual(['keep-1', 'v3', 'v4']);
    expect((await json(adminApi(s, `${path}/runs`))).items.map((r: { id: string }) => r.id)).toEqual([done.id, dry.id]);
    expect((await json(adminApi(s, `/audit-events?action=retention.run&resource=${repo}`))).total).toBe(1);

    await sleep(GRACE_MS);
    const freed = await gcRun(s);
    expect(freed).toMatchObject({ status: 'succeeded', manifestsRemoved: 2, blobsRemoved: 4 }); // two configs, two layers
    for (const tag of ['keep-1', 'v3', 'v4']) expect(await verifyPull(s.srv.url, repo, tag)).toEqual([]);
    expect((await c.request(`/v2/${repo}/manifests/${pushed['v1']}`)).status).toBe(404);
  });

  it('removes idle upload sessions with their bytes and the bytes of uploads whose repository was deleted; a live upload goes on', async () => {
    const chunk = randomBytes(256 * 1024);
    const open = async (repo: string) => {
      const location = await c.startUpload(`${org}/${repo}`);
      const res = await c.request(location, { method: 'PATCH', body: chunk, headers: { 'content-type': 'application/octet-stream' } });
      expect(res.status).toBe(202);
      return { location: res.headers.get('location') as string, id: location.split('/').pop()?.split('?')[0] as string };
    };
    const idle = await open('idle');
    const orphaned = await open('gone');
    const live = await open('live');
    await s.db.query(`UPDATE uploads SET updated_at = now() - interval '25 hours' WHERE id = $1`, [idle.id]);
    expect((await adminApi(s, `/repositories/${org}/gone`, { method: 'DELETE' })).status).toBe(204);
    await sleep(GRACE_MS);
    await s.db.query(`UPDATE uploads SET updated_at = now() WHERE id = $1`, [live.id]); // it is still being written

    const run = await gcRun(s);
    expect(run).toMatchObject({ status: 'succeeded', uploadsRemoved: 2 });
    expect(await s.storage.stat(`/uploads/${idle.id}`)).toBeNull();
    expect(await s.storage.stat(`/uploads/${orphaned.id}`)).toBeNull();
    const again = await c.request(idle.location, { method: 'PATCH', body: chunk, headers: { 'content-type': 'application/octet-stream' } });
    expect(again.status).toBe(404);
    const done = await c.request(`${live.location}${live.location.includes('?') ? '&' : '?'}digest=${sha256(chunk)}`, { method: 'PUT' });
    expect(done.status).toBe(201);
  });

  (dockerHost ? it : it.skip)('the seed journey: a tag deleted in the API, GC run from the API, usage drops by what only that image had, docker pull of the other tag works', async () => {
    const seed = uniqueOrg('seed');
    expect((await adminApi(s, '/organizations', { method: 'POST', body: JSON.stringify({ name: seed }) })).status).toBe(201);
    const work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'gc-seed-'));
    const env = { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker-config'), DOCKER_BUILDKIT: '0' };
    const docker = (...args: string[]) => runAsync('docker', args, { env });
    const base = `wharf-gc-seed:${seed}`;
    await docker('import', busyboxRootfsTar(work), base);
    const images: Record<string, string> = {};
    try {
      for (const name of ['a', 'b']) {
        const ctx = join(work, name);
        mkdirSync(ctx);
        writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nRUN echo ${name} > /${name}.txt\n`);
        images[name] = `${s.srv.host}/${seed}/app:${name}`;
        await docker('build', '--network', 'none', '-t', images[name] as string, ctx);
        await docker('push', images[name] as string);
      }
      const manifest = async (tag: string) => json(c.request(`/v2/${seed}/app/manifests/${tag}`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } }));
      const [a, b] = [await manifest('a'), await manifest('b')];
      const inB = new Set([b.config.digest, ...b.layers.map((l: { digest: string }) => l.digest)]);
      const onlyA = [a.config, ...a.layers].filter((d: { digest: string }) => !inB.has(d.digest));
      expect(onlyA).toHaveLength(2); // its config and its RUN layer; the base layer is shared
      const usage = async () => (await json(adminApi(s, `/organizations/${seed}/usage`))).usedBytes as number;
      const before = await usage();

      expect((await adminApi(s, `/repositories/${seed}/app/tags/a`, { method: 'DELETE' })).status).toBe(204);
      await sleep(GRACE_MS);
      expect((await gcRun(s)).status).toBe('succeeded');
      expect(await usage()).toBe(before - onlyA.reduce((n: number, d: { size: number }) => n + d.size, 0));

      await docker('rmi', images['b'] as string);
      await docker('pull', images['b'] as string);
      expect((await docker('run', '--rm', '--network', 'none', images['b'] as string, 'cat', '/b.txt')).stdout).toBe('b\n');
    } finally {
      await docker('rmi', '-f', base, ...Object.values(images)).catch(() => undefined);
    }
  }, 240_000);

  it('is for system administrators only, validates its body and answers unknown runs with 404', async () => {
    const owner = `gco${randomBytes(3).toString('hex')}`;
    const created = await adminApi(s, '/accounts', { method: 'POST', body: JSON.stringify({ name: `acct-${owner}`, owner: { username: owner, password: 'owner-password-1' } }) });
    expect(created.status).toBe(201);
    const login = await json(fetch(`${s.srv.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: owner, password: 'owner-password-1' }) }));
    const asOwner = { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
    const refused = await fetch(`${s.srv.url}/api/v1/gc/runs`, { method: 'POST', headers: asOwner, body: '{}' });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe('FORBIDDEN');
    expect((await fetch(`${s.srv.url}/api/v1/gc/runs`, { headers: asOwner })).status).toBe(403);
    for (const [body, field] of [[{ dryRun: 'yes' }, 'dryRun'], [{ dryRun: true, color: 'red' }, 'color']] as const) {
      const res = await adminApi(s, '/gc/runs', { method: 'POST', body: JSON.stringify(body) });
      expect([res.status, (await json(res)).error.field]).toEqual([400, field]);
    }
    expect((await adminApi(s, '/gc/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await adminApi(s, '/gc/runs/not-a-run')).status).toBe(404);
  });
});
