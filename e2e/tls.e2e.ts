import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireRoot, requireService } from '@wharf/testing';
import { busyboxRootfsTar, runAsync } from './support/commands';
import { cleanUpStarted, npmStart, Wharf } from './support/npm-start';
import { writeMultiPlatformLayout } from './support/oci-layout';
import { freePort } from './support/test-registry';

/**
 * HTTPS in single-machine mode (`WHARF_TLS=self-signed`, as `npm start -- --tls`): without trusting
 * the CA, skopeo and ctr fail with the x509 error the README names; after the README's trust steps
 * (its `<!-- tls-tour -->` block, run as written but for the address and CA path) skopeo, ctr with
 * `--hosts-dir` and docker verify the certificate and push and pull; `ctr --skip-verify` works
 * without trust. The trust steps write under /etc, so this runs as root and removes them after.
 */
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');
const containerd = requireService('WHARF_TEST_CONTAINERD_ADDRESS', 'containerd and ctr');
const skopeo = spawnSync('skopeo', ['--version']).status === 0 ? 'skopeo' : requireService('WHARF_TEST_SKOPEO', 'skopeo');
const PASSWORD = 'tls-admin-password';
const isRoot = requireRoot('the TLS tour (it writes the CA under /etc)');

function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

(dockerHost && containerd && skopeo && isRoot ? describe : describe.skip)('HTTPS with a self-signed CA', () => {
  let wharf: Wharf;
  let work: string;
  let registry: string;
  let ca: string;
  const trusted: string[] = [];
  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'tls-'));
    const port = await freePort();
    wharf = await npmStart(join(work, 'data'), port, { WHARF_TLS: 'self-signed', WHARF_ADMIN_PASSWORD: PASSWORD });
    registry = `127.0.0.1:${port}`;
    ca = join(work, 'data', 'tls', 'ca.crt');
    trusted.push(`/etc/docker/certs.d/${registry}`, `/etc/containers/certs.d/${registry}`, `/etc/containerd/certs.d/${registry}`);
  }, 120_000);
  afterAll(async () => {
    for (const dir of trusted) rmSync(dir, { recursive: true, force: true });
    await wharf?.ctrlC();
    cleanUpStarted();
  });

  it('prints how to trust the CA, serves HTTPS only, and clients verify it once the README steps ran', async () => {
    expect(wharf.output()).toContain(`HTTPS with a self-signed CA: ${ca}`);
    expect(wharf.output()).toContain(`/etc/docker/certs.d/${registry}/ca.crt`);
    expect(readFileSync(ca, 'utf8')).toContain('BEGIN CERTIFICATE');

    const layout = join(work, 'layout');
    mkdirSync(layout);
    writeMultiPlatformLayout(layout, 'v1', [{ os: 'linux', architecture: 'amd64' }]);
    const ref = `docker://${registry}/tlsorg/app:v1`;
    const copy = () => sh('skopeo', ['copy', '--all', '--dest-creds', `admin:${PASSWORD}`, `oci:${layout}:v1`, ref]);
    const untrusted = copy();
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.out).toContain('x509: certificate signed by unknown authority');
    const ctrPull = (...flags: string[]) =>
      sh('ctr', ['--address', containerd as string, 'images', 'pull', ...flags, '--user', `admin:${PASSWORD}`, `${registry}/tlsorg/app:v1`]);

    // The README's trust steps, as written.
    const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
    const block = /<!-- tls-tour -->\n```bash\n([\s\S]*?)```/.exec(readme)?.[1] as string;
    expect(block).toContain('/etc/docker/certs.d/$REGISTRY');
    const steps = block.replaceAll('127.0.0.1:5000', registry).replace('CA=.wharf/tls/ca.crt', `CA=${ca}`);
    const ran = sh('bash', ['-c', `set -euo pipefail\n${steps}`]);
    expect(ran).toEqual({ status: 0, out: '' });

    const trustedCopy = copy();
    expect(trustedCopy).toEqual({ status: 0, out: expect.stringContaining('Writing manifest') });
    // ctr speaks plain HTTP to 127.0.0.1 unless a hosts.toml says https: one without the CA fails to verify.
    const bare = join(work, 'hosts-without-ca', registry);
    mkdirSync(bare, { recursive: true });
    writeFileSync(join(bare, 'hosts.toml'), `[host."https://${registry}"]\n`);
    const noTrust = ctrPull('--hosts-dir', join(work, 'hosts-without-ca'));
    expect(noTrust.status).not.toBe(0);
    expect(noTrust.out).toContain('x509: certificate signed by unknown authority');
    expect(ctrPull('--hosts-dir', '/etc/containerd/certs.d')).toEqual({ status: 0, out: expect.anything() });
    expect(ctrPull('--hosts-dir', join(work, 'hosts-without-ca'), '--skip-verify')).toEqual({ status: 0, out: expect.anything() });

    const env = { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker') };
    const image = `${registry}/tlsorg/docker:v1`;
    await runAsync('docker', ['import', busyboxRootfsTar(work), image], { env });
    await runAsync('docker', ['login', registry, '-u', 'admin', '--password-stdin'], { env, input: PASSWORD });
    await runAsync('docker', ['push', image], { env });
    await runAsync('docker', ['rmi', image], { env });
    const pulled = await runAsync('docker', ['pull', image], { env });
    expect(pulled.stdout).toContain(`Downloaded newer image for ${image}`);

    // Plain HTTP is not served on the HTTPS port.
    const plain = await fetch(`http://${registry}/v2/`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).not.toBe(401);
  });
});
