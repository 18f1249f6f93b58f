import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { dockerSaveMembers, requireService, tarArchive } from '@wharf/testing';
import { hasCommand } from '../apps/server/src/local-process';
import { busyboxRootfsTar, runAsync } from './support/commands';
import { startIngress, Nginx } from './support/nginx';
import { createOwnDatabase, OwnDatabase } from './support/own-database';
import { runReadmeTours } from './support/readme';
import { freePort, startRegistryProcess, TestRegistry } from './support/test-registry';
import { TEST_ADMIN_PASSWORD, TEST_SECRET_KEY } from './support/test-server';

/**
 * The split deployment a cluster runs, behind nginx configured with the Ingress paths of SPEC §10:
 * `auth`, `org`, two `registry` replicas on S3 storage and the `events`, `gc` and `builder`
 * workers, each its own process over one Postgres (a database of this test's own: the README tours
 * create `demo` and `acme`), one Redis and the S3 server. Clients know only nginx's address: the
 * README's tours (docker login/push/pull, skopeo, podman, ctr, the API tour) run through it as
 * written. Every service believes X-Forwarded-For from nginx (127.0.0.1) only.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const suiteRedis = requireService('WHARF_TEST_REDIS_URL', 'Redis');
/** A Redis database index of its own: no other suite's worker may take this deployment's jobs (page upload's). */
const redisUrl = suiteRedis ? Object.assign(new URL(suiteRedis), { pathname: '/9' }).toString() : undefined;
const s3 = requireService('WHARF_TEST_S3_ENDPOINT', 'an S3 server');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');
const containerd = requireService('WHARF_TEST_CONTAINERD_ADDRESS', 'containerd and ctr');
const nginx = hasCommand('nginx') ? 'nginx' : requireService('WHARF_TEST_NGINX', 'nginx');
const ready = suiteDatabase && redisUrl && s3 && dockerHost && containerd && nginx;

/** A request from 127.0.0.2, a client that is not the proxy (nginx and the services are on 127.0.0.1). */
function fromClient(url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', localAddress: '127.0.0.2', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

(ready ? describe : describe.skip)('split deployment behind an nginx ingress', () => {
  let own: OwnDatabase;
  let ingress: Nginx;
  let services: Record<'auth' | 'org' | 'events' | 'gc' | 'builder', TestRegistry>;
  let replicas: TestRegistry[];
  let work: string;
  const bucket = `ingress-${process.pid}`;

  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'ingress-'));
    own = await createOwnDatabase(suiteDatabase as string, 'ingress');
    await fetch(`${s3}/${bucket}`, { method: 'PUT' });
    const redis = new Redis(redisUrl as string);
    await redis.flushdb(); // jobs of an earlier run of this file
    redis.disconnect();
    // Ports first: every service names nginx's address as its public URL before nginx starts.
    const ports = { auth: await freePort(), org: await freePort(), registry: [await freePort(), await freePort()] };
    const publicUrl = `http://127.0.0.1:${await freePort()}`;
    const common = {
      REDIS_URL: redisUrl as string,
      WHARF_SECRET_KEY: TEST_SECRET_KEY,
      WHARF_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      WHARF_TRUSTED_PROXIES: '127.0.0.1',
      WHARF_PUBLIC_URL: publicUrl,
    };
    const storage = { WHARF_S3_BUCKET: bucket, WHARF_S3_ENDPOINT: s3 as string, WHARF_S3_ACCESS_KEY: 'test', WHARF_S3_SECRET_KEY: 'test' };
    // org stores page uploads where the builder reads them and gc collects: the registry's storage.
    const start = (app: 'auth' | 'org' | 'events' | 'gc' | 'builder', port?: number) => startRegistryProcess(own.url, { app, port, env: { ...common, ...storage } });
    const [auth, org, events, gc, builder] = await Promise.all([
      start('auth', ports.auth),
      start('org', ports.org),
      start('events'),
      start('gc'),
      start('builder'),
    ]);
    services = { auth, org, events, gc, builder };
    const registryEnv = { ...common, ...storage, WHARF_AUTH: 'token', WHARF_AUTH_JWKS_URL: `${auth.url}/token/jwks.json` };
    replicas = await Promise.all(ports.registry.map((port) => startRegistryProcess(own.url, { port, env: registryEnv })));
    ingress = await startIngress(work, { registry: replicas.map((r) => r.host), auth: [auth.host], org: [org.host] }, Number(new URL(publicUrl).port));
    await runAsync('docker', ['import', busyboxRootfsTar(work), 'busybox:latest'], { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker') } });
  }, 180_000);
  afterAll(async () => {
    await ingress?.close();
    await Promise.all([...Object.values(services ?? {}), ...(replicas ?? [])].map((s) => s.close()));
    await own?.drop();
  });

  it('routes each Ingress path to its service', async () => {
    const challenge = await fetch(`${ingress.url}/v2/`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toContain(`realm="${ingress.url}/token"`);
    expect(((await (await fetch(`${ingress.url}/token/jwks.json`)).json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    expect((await fetch(`${ingress.url}/api/docs-json`)).status).toBe(200);
    const unknown = await fetch(`${ingress.url}/api/v1/no-such-thing`);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    for (const w of Object.values(services)) expect((await fetch(`${w.url}/readyz`)).status).toBe(200);
  });

  it("the README's tours run as written through the ingress", async () => {
    const stdout = runReadmeTours(ingress.host, work, { adminPassword: TEST_ADMIN_PASSWORD, dockerHost: dockerHost as string, containerdAddress: containerd as string });
    expect(stdout).toMatch(new RegExp(`docker login -u local@\\S+ -p \\S+ ${ingress.host.replace(/\./g, '\\.')}`));
    // Both replicas served part of it (nginx balances /v2), and the push reached the events worker.
    for (const replica of replicas) expect(await (await fetch(`${replica.url}/metrics`)).text()).toMatch(/wharf_http_requests_total\{service="registry",route="v2:manifest"/);
    const queue = new Queue('registry-events', { connection: { url: redisUrl as string, maxRetriesPerRequest: null } });
    try {
      const deadline = Date.now() + 15_000;
      const pushed = async () =>
        (await queue.getJobs(['completed'])).some((j) => j.data.events.some((e: { kind: string; repository: string; tag: string }) => e.kind === 'tag.pushed' && e.repository === 'demo/app' && e.tag === 'v1'));
      while (!(await pushed()) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
      expect(await pushed()).toBe(true);
    } finally {
      await queue.close();
    }
  }, 360_000);

  it('a page upload goes through the ingress to org, is imported by the builder, and pulls from the registry replicas', async () => {
    const login = await fetch(`${ingress.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }) });
    const bearer = ((await login.json()) as { accessToken: string }).accessToken;
    const auth = { authorization: `Bearer ${bearer}` };
    expect((await fetch(`${ingress.url}/api/v1/organizations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ingress-upload' }) })).status).toBe(201);
    const form = new FormData();
    form.append('org', 'ingress-upload');
    form.append('files', new Blob([tarArchive(dockerSaveMembers([{ repoTags: ['team/app:v1'], layers: [{ 'etc/x': 'x' }] }]).members)]), 'app.tar');
    const res = await fetch(`${ingress.url}/api/v1/uploads`, { method: 'POST', headers: auth, body: form });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { uploads: { id: string }[] }).uploads[0]?.id;
    let view: { status: string; error: string | null } = { status: 'queued', error: null };
    for (const deadline = Date.now() + 30_000; !['succeeded', 'failed'].includes(view.status) && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      view = (await (await fetch(`${ingress.url}/api/v1/uploads/${id}`, { headers: auth })).json()) as typeof view;
    }
    expect(view).toMatchObject({ status: 'succeeded', error: null });
    const token = ((await (await fetch(`${ingress.url}/token?service=wharf-registry&scope=repository:ingress-upload/app:pull`, { headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}` } })).json()) as { token: string }).token;
    for (const replica of replicas) {
      const manifest = await fetch(`${replica.url}/v2/ingress-upload/app/manifests/v1`, { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      expect(manifest.status).toBe(200);
    }
  });

  it('the audit log records the client address nginx forwards, not one the client names itself', async () => {
    const body = JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD });
    const spoofed = { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' };
    const login = await fromClient(`${ingress.url}/api/v1/auth/login`, spoofed, body);
    expect(login.status).toBe(200);
    const bearer = (JSON.parse(login.body) as { accessToken: string }).accessToken;
    const created = await fromClient(`${ingress.url}/api/v1/organizations`, { ...spoofed, authorization: `Bearer ${bearer}` }, JSON.stringify({ name: 'ingress-audit' }));
    expect(created.status).toBe(201);
    const audit = async (query: string) => {
      const res = await fetch(`${ingress.url}/api/v1/audit-events?${query}&pageSize=1`, { headers: { authorization: `Bearer ${bearer}` } });
      return ((await res.json()) as { items: { clientAddress: string }[] }).items[0]?.clientAddress;
    };
    expect(await audit('action=login&actor=admin')).toBe('127.0.0.2');
    expect(await audit('action=organization.create&resource=ingress-audit')).toBe('127.0.0.2');
  });
});
