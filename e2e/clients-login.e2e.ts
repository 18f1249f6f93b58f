import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, loginKeyByShell, names, token } from './support/auth-helpers';
import { busyboxRootfsTar, hasCommand, run, runAsync } from './support/commands';
import { writeMultiPlatformLayout } from './support/oci-layout';
import { startTestServer, TestServer } from './support/test-server';

const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');
const containerd = requireService('WHARF_TEST_CONTAINERD_ADDRESS', 'containerd and ctr');
const podmanOk = hasCommand('podman') || !!requireService('WHARF_TEST_PODMAN', 'podman (apt-get install podman)');
const skopeoOk = hasCommand('skopeo') || !!requireService('WHARF_TEST_SKOPEO', 'skopeo (apt-get install skopeo)');

(databaseUrl && redisUrl && dockerHost && containerd && podmanOk && skopeoOk ? describe : describe.skip)('real clients log in with every credential kind', () => {
  let srv: TestServer;
  let work: string;
  let base: string;
  let o: { user: string; password: string; org: string; accountId: string };
  const dockerConfig = () => join(work, `docker-config-${randomUUID()}`);
  // The server runs in this process: every client call must be asynchronous.
  const docker = (config: string, ...args: string[]) => runAsync('docker', args, { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: config } });
  const login = (config: string, username: string, password: string) =>
    runAsync('docker', ['login', '-u', username, '--password-stdin', srv.host], { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: config }, input: password });

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'login-'));
    const n = names('login');
    const password = `pw-${randomUUID()}`;
    const ids = await srv.accounts.createAccountWithOwner(n.account, n.user, password);
    o = { user: n.user, password, org: n.org, accountId: ids.accountId };
    base = `wharf-e2e-login-base:${n.org}`;
    await docker(dockerConfig(), 'import', busyboxRootfsTar(work), base);
  }, 120_000);
  afterAll(() => srv?.close());

  /** docker login with the credential, push, rmi, pull: the pulled image is the pushed one (same ID and digest). */
  async function dockerRoundTrip(username: string, password: string, repo: string): Promise<void> {
    const config = dockerConfig();
    const image = `${srv.host}/${o.org}/${repo}:v1`;
    expect((await login(config, username, password)).stdout).toContain('Login Succeeded');
    await docker(config, 'tag', base, image);
    const id = (await docker(config, 'image', 'inspect', '--format', '{{.Id}}', image)).stdout.trim();
    const pushed = /v1: digest: (sha256:[0-9a-f]{64})/.exec((await docker(config, 'push', image)).stdout)?.[1];
    expect(pushed).toBeDefined();
    await docker(config, 'rmi', image);
    const pulled = (await docker(config, 'pull', image)).stdout;
    expect(pulled).toContain(`Digest: ${pushed}`);
    expect((await docker(config, 'image', 'inspect', '--format', '{{.Id}}', image)).stdout.trim()).toBe(id);
  }

  it('docker: username and password', async () => {
    await dockerRoundTrip(o.user, o.password, 'password');
  });

  it('docker: temporary login token', async () => {
    const bearer = await apiLogin(srv, o.user, o.password);
    const t = (await (await api(srv, '/auth/temporary-login', bearer, { method: 'POST' })).json()) as { username: string; token: string };
    await dockerRoundTrip(t.username, t.token, 'temporary');
  });

  it('docker: AK/SK long-term key computed by the documented shell pipeline', async () => {
    const bearer = await apiLogin(srv, o.user, o.password);
    const k = (await (await api(srv, '/access-keys', bearer, { method: 'POST' })).json()) as { accessKey: string; secretKey: string; loginUsername: string };
    await dockerRoundTrip(k.loginUsername, loginKeyByShell(k.accessKey, k.secretKey), 'aksk');
  });

  it('docker: robot account', async () => {
    await token(srv, [`repository:${o.org}/x:pull,push`], basic(o.user, o.password)); // make sure the organization exists
    const bearer = await apiLogin(srv, o.user, o.password);
    const robot = await api(srv, `/organizations/${o.org}/robots`, bearer, { method: 'POST', body: JSON.stringify({ name: 'builder', level: 'edit' }) });
    expect(robot.status).toBe(201);
    await dockerRoundTrip(`robot$${o.org}+builder`, ((await robot.json()) as { secret: string }).secret, 'robot');
  });

  it('docker: after logout a private image cannot be pulled; a public one can, anonymously', async () => {
    const config = dockerConfig();
    await login(config, o.user, o.password);
    const image = `${srv.host}/${o.org}/private:v1`;
    await docker(config, 'tag', base, image);
    await docker(config, 'push', image);
    await docker(config, 'rmi', image);
    await docker(config, 'logout', srv.host);
    await expect(docker(config, 'pull', image)).rejects.toThrow(/denied|unauthorized|authentication required/i);
    const bearer = await apiLogin(srv, o.user, o.password);
    const visibility = (v: string) => api(srv, `/organizations/${o.org}`, bearer, { method: 'PATCH', body: JSON.stringify({ visibility: v }) });
    expect((await visibility('public')).status).toBe(200);
    try {
      expect((await docker(config, 'pull', image)).stdout).toContain(image);
    } finally {
      await visibility('private');
    }
  });

  it('podman login, push and pull', async () => {
    const root = mkdtempSync('/tmp/pm-'); // podman refuses a runroot path longer than 50 characters
    try {
      await podmanRoundTrip(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  async function podmanRoundTrip(root: string): Promise<void> {
    const podman = (...args: string[]) =>
      runAsync('podman', ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', ...args], {
        env: { REGISTRY_AUTH_FILE: join(root, 'auth.json') },
      });
    const image = `${srv.host}/${o.org}/podman:v1`;
    await podman('login', '--tls-verify=false', '-u', o.user, '-p', o.password, srv.host);
    await podman('import', busyboxRootfsTar(work), image);
    const id = (await podman('image', 'inspect', '--format', '{{.Id}}', image)).stdout.trim();
    await podman('push', '--tls-verify=false', image);
    await podman('rmi', image);
    await podman('pull', '--tls-verify=false', image);
    expect((await podman('image', 'inspect', '--format', '{{.Id}}', image)).stdout.trim()).toBe(id);
    await podman('logout', srv.host);
    await podman('rmi', image);
    await expect(podman('pull', '--tls-verify=false', image)).rejects.toThrow(/unauthorized|denied|authentication required/i);
  }

  it('skopeo --creds copies in and out', async () => {
    const layout = join(work, 'skopeo-in');
    writeMultiPlatformLayout(layout, 'v1', [{ os: 'linux', architecture: 'amd64' }]);
    const ref = `docker://${srv.host}/${o.org}/skopeo:v1`;
    const creds = `${o.user}:${o.password}`;
    const copy = ['copy', '--all', '--preserve-digests'];
    await runAsync('skopeo', [...copy, '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, ref]);
    await runAsync('skopeo', [...copy, '--src-tls-verify=false', '--src-creds', creds, ref, `oci:${join(work, 'skopeo-out')}:v1`]);
    // The same index, byte for byte, in the source layout, in the registry and in the copy out.
    const digestOf = async (...args: string[]) => sha256(Buffer.from((await runAsync('skopeo', ['inspect', '--raw', ...args])).stdout));
    const source = await digestOf(`oci:${layout}:v1`);
    expect(await digestOf('--tls-verify=false', '--creds', creds, ref)).toBe(source);
    expect(await digestOf(`oci:${join(work, 'skopeo-out')}:v1`)).toBe(source);
    await expect(runAsync('skopeo', ['inspect', '--tls-verify=false', '--creds', `${o.user}:wrong`, ref])).rejects.toThrow(/unauthorized|invalid username or password/i);
  });

  it('ctr --user pushes and pulls', async () => {
    const ctr = (...args: string[]) => runAsync('ctr', ['--address', containerd as string, ...args]);
    const layout = join(work, 'ctr-layout');
    const ref = `${srv.host}/${o.org}/ctr:v1`;
    writeMultiPlatformLayout(layout, ref, [{ os: 'linux', architecture: 'amd64' }]);
    run('tar', ['-C', layout, '-cf', `${layout}.tar`, '.']);
    await ctr('images', 'import', '--all-platforms', `${layout}.tar`);
    const user = `${o.user}:${o.password}`;
    const digestOf = async () => (await ctr('images', 'ls')).stdout.split('\n').find((l) => l.startsWith(`${ref} `))?.split(/\s+/)[2];
    const imported = await digestOf();
    expect(imported).toMatch(/^sha256:[0-9a-f]{64}$/);
    await ctr('images', 'push', '--plain-http', '--user', user, ref);
    await ctr('images', 'rm', ref);
    await ctr('images', 'pull', '--plain-http', '--user', user, ref);
    expect(await digestOf()).toBe(imported);
    await ctr('images', 'rm', ref);
    await expect(ctr('images', 'pull', '--plain-http', '--user', `${o.user}:wrong`, ref)).rejects.toThrow(/401 Unauthorized|unauthorized/);
  });
});
