import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '@wharf/identity';
import { requireService } from '@wharf/testing';
import { api, apiLogin, basic, loginKeyByShell, names, setOrgVisibility, token } from './support/auth-helpers';
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

  /** docker login with the credential, push, rmi, pull: the full round trip. */
  async function dockerRoundTrip(username: string, password: string, repo: string): Promise<void> {
    const config = dockerConfig();
    const image = `${srv.host}/${o.org}/${repo}:v1`;
    expect((await login(config, username, password)).stdout).toContain('Login Succeeded');
    await docker(config, 'tag', base, image);
    expect((await docker(config, 'push', image)).stdout).toMatch(/v1: digest: sha256:/);
    await docker(config, 'rmi', image);
    expect((await docker(config, 'pull', image)).stdout).toContain(image);
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
    const secret = `robot-${randomUUID()}`;
    await srv.store.createRobot({ id: randomUUID(), organization: o.org, name: 'builder', secretHash: sha256Hex(secret), level: 3, expiresAt: null });
    await dockerRoundTrip(`robot$${o.org}+builder`, secret, 'robot');
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
    await setOrgVisibility(srv, o.org, 'public');
    try {
      expect((await docker(config, 'pull', image)).stdout).toContain(image);
    } finally {
      await setOrgVisibility(srv, o.org, 'private');
    }
  });

  it('podman login, push and pull', async () => {
    const root = mkdtempSync('/tmp/pm-'); // podman refuses a runroot path longer than 50 characters
    const podman = (...args: string[]) =>
      runAsync('podman', ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', ...args], {
        env: { REGISTRY_AUTH_FILE: join(root, 'auth.json') },
      });
    const image = `${srv.host}/${o.org}/podman:v1`;
    await podman('login', '--tls-verify=false', '-u', o.user, '-p', o.password, srv.host);
    await podman('import', busyboxRootfsTar(work), image);
    await podman('push', '--tls-verify=false', image);
    await podman('rmi', image);
    await podman('pull', '--tls-verify=false', image);
    await podman('logout', srv.host);
    await podman('rmi', image);
    await expect(podman('pull', '--tls-verify=false', image)).rejects.toThrow(/unauthorized|denied|authentication required/i);
  });

  it('skopeo --creds copies in and out', async () => {
    const layout = join(work, 'skopeo-in');
    writeMultiPlatformLayout(layout, 'v1', [{ os: 'linux', architecture: 'amd64' }]);
    const ref = `docker://${srv.host}/${o.org}/skopeo:v1`;
    const creds = `${o.user}:${o.password}`;
    await runAsync('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, ref]);
    await runAsync('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', creds, ref, `oci:${join(work, 'skopeo-out')}:v1`]);
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
    await ctr('images', 'push', '--plain-http', '--user', user, ref);
    await ctr('images', 'rm', ref);
    await ctr('images', 'pull', '--plain-http', '--user', user, ref);
    expect((await ctr('images', 'ls', '-q')).stdout.split('\n')).toContain(ref);
    await ctr('images', 'rm', ref);
    await expect(ctr('images', 'pull', '--plain-http', '--user', `${o.user}:wrong`, ref)).rejects.toThrow();
  });
});
