import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../apps/server/src/embedded-postgres';
import { freePort, waitForPort } from '../apps/server/src/local-process';
import { migrate } from '@wharf/database';
import { OciTestClient, requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, names, token, tokenResponse } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';

/**
 * Redis or Postgres slow or down: callers get a fast 503 with Retry-After, /readyz says which
 * dependency does not answer, and pulls of content already served keep working. The suite's
 * shared servers must not be stalled, so this file runs its own Postgres and redis-server, with
 * short time limits.
 */
const shared = requireService('WHARF_TEST_REDIS_URL', 'Redis (redis-server)');
const workdir = process.env['WHARF_TEST_WORKDIR'] ?? '/tmp';

/** Postgres' processes: the postmaster (from its pid file) and its children, from /proc. */
function postgresPids(cluster: string): number[] {
  const main = Number(readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === main;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [main, ...children];
}

async function timed<T>(what: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await what();
  return { value, ms: performance.now() - t };
}

(shared ? describe : describe.skip)('dependencies slow or down', () => {
  let srv: TestServer;
  let pg: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  let cluster: string;
  let redis: ChildProcess;
  let redisPort: number;
  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPort(redisPort, 10_000);
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(workdir, 'faults-'));
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), log: () => undefined, persistent: false, settings: { fsync: 'off' } });
    cluster = join(dir, 'pg', 'postgres'); // a link to the cluster when it had to live elsewhere
    await migrate(pg.url);
    redisPort = await freePort();
    await startRedis();
    srv = await startTestServer(pg.url, `redis://127.0.0.1:${redisPort}`, {
      WHARF_DB_STATEMENT_TIMEOUT_MS: '1000',
      WHARF_DB_CONNECT_TIMEOUT_MS: '1000',
      WHARF_REDIS_TIMEOUT_MS: '500',
    });
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    redis?.kill('SIGKILL');
    await pg?.stop();
  });

  it('Redis stalled or stopped: logins answer 503 with Retry-After within seconds, /readyz names Redis, pulls with a token keep working', async () => {
    const n = names('redisdown');
    await srv.accounts.createAccountWithOwner(n.account, n.user, 'owner-password-1');
    const scope = [`repository:${n.org}/app:pull,push`];
    const pushHeaders = async (repo: string) => ({ authorization: `Bearer ${await token(srv, [`repository:${repo}:pull,push`], basic(n.user, 'owner-password-1'))}` });
    const bearer = await token(srv, scope, basic(n.user, 'owner-password-1'));
    const c = new OciTestClient(srv.url);
    const headers = { authorization: `Bearer ${bearer}` };
    const blob = Buffer.from(`blob-${n.org}`);
    expect((await c.request(`/v2/${n.org}/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers })).status).toBe(201);
    const apiBearer = await apiLogin(srv, n.user, 'owner-password-1');
    const gone = await c.request(`/v2/${n.org}/gone/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers: await pushHeaders(`${n.org}/gone`) });
    expect(gone.status).toBe(201);

    for (const fault of ['SIGSTOP', 'SIGKILL'] as const) {
      redis.kill(fault);
      try {
        const login = await timed(() => tokenResponse(srv, scope, basic(n.user, 'owner-password-1')));
        expect([fault, login.value.status, login.value.headers.get('retry-after')]).toEqual([fault, 503, '5']);
        expect(login.ms).toBeLessThan(5_000);
        expect(((await login.value.json()) as { errors: { code: string; message: string }[] }).errors[0]).toMatchObject({
          code: 'UNAVAILABLE',
          message: expect.stringContaining('cache is unavailable'),
        });
        const ready = await fetch(`${srv.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as { failed: Record<string, string> }).failed).toHaveProperty('redis');
        const pulled = await c.request(`/v2/${n.org}/app/blobs/${sha256(blob)}`, { headers });
        expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).toBe(true);
        if (fault === 'SIGKILL') {
          // Deleting through the API needs no Redis: the other replicas are told when they can be.
          expect((await api(srv, `/repositories/${n.org}/gone`, apiBearer, { method: 'DELETE' })).status).toBe(204);
        }
      } finally {
        if (fault === 'SIGSTOP') redis.kill('SIGCONT');
        else await startRedis();
      }
      await new Promise((r) => setTimeout(r, 1_000)); // reconnect
      expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
      expect((await tokenResponse(srv, scope, basic(n.user, 'owner-password-1'))).status).toBe(200);
    }
  });

  it('Postgres stalled: the API answers 503 (not 401) within seconds, /readyz names Postgres, pulls of served content keep working', async () => {
    const n = names('pgdown');
    await srv.accounts.createAccountWithOwner(n.account, n.user, 'owner-password-2');
    const bearer = await token(srv, [`repository:${n.org}/app:pull,push`], basic(n.user, 'owner-password-2'));
    const apiBearer = await apiLogin(srv, n.user, 'owner-password-2');
    const c = new OciTestClient(srv.url);
    const headers = { authorization: `Bearer ${bearer}` };
    const layer = Buffer.from(`layer-${n.org}`);
    const image = await pushWithToken(c, `${n.org}/app`, headers, layer);
    const pull = async () => {
      const manifest = await c.request(`/v2/${n.org}/app/manifests/v1`, { headers: { ...headers, accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const blob = await c.request(`/v2/${n.org}/app/blobs/${sha256(layer)}`, { headers });
      return [manifest.status, await manifest.text(), Buffer.from(await blob.arrayBuffer()).equals(layer)];
    };
    expect(await pull()).toEqual([200, image, true]); // served once: now in this replica's cache

    const pids = postgresPids(cluster);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, 1_500)); // past the tag cache's 1 s
      expect(await pull()).toEqual([200, image, true]);
      const me = await timed(() => api(srv, '/auth/me', apiBearer));
      expect([me.value.status, me.value.headers.get('retry-after')]).toEqual([503, '5']);
      expect(me.ms).toBeLessThan(5_000);
      expect(((await me.value.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
      const ready = await fetch(`${srv.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { failed: Record<string, string> }).failed).toHaveProperty('postgres');
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 500));
    expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
    expect((await api(srv, '/auth/me', apiBearer)).status).toBe(200);
  });
});

async function pushWithToken(c: OciTestClient, repo: string, headers: Record<string, string>, layer: Buffer): Promise<string> {
  const config = Buffer.from(`{"repo":"${repo}"}`);
  for (const blob of [config, layer]) {
    const res = await c.request(`/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers });
    if (res.status !== 201) throw new Error(`blob push answered ${res.status}`);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  });
  const res = await c.request(`/v2/${repo}/manifests/v1`, {
    method: 'PUT',
    body: manifest,
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 201) throw new Error(`manifest push answered ${res.status}`);
  return manifest;
}
