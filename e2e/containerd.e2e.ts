import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { OciTestClient, requireService } from '@wharf/testing';
import { run } from './support/commands';
import { writeMultiPlatformLayout } from './support/oci-layout';
import { startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about ctr's pull/push protocol against the registry (plain HTTP, content, platforms); ctr with token auth and --user is in clients-login.e2e.ts.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const address = requireService('WHARF_TEST_CONTAINERD_ADDRESS', 'containerd and ctr');

(databaseUrl && address ? describe : describe.skip)('containerd ctr push and pull (--plain-http)', () => {
  let reg: TestRegistry;
  const ctr = (...args: string[]) => run('ctr', ['--address', address as string, ...args]);
  beforeAll(async () => {
    reg = await startRegistryProcess(databaseUrl as string);
  }, 120_000);
  afterAll(() => reg?.close());

  it('pulls an image pushed by another client, pushes it under a new name, and the registry has it', async () => {
    const org = uniqueOrg('ctr');
    // Seed containerd's store by importing an OCI layout whose ref name is the full reference.
    const work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'ctr-'));
    const layout = join(work, 'layout');
    const source = `${reg.host}/${org}/source:v1`;
    const indexDigest = writeMultiPlatformLayout(layout, source, [{ os: 'linux', architecture: 'amd64' }]);
    run('tar', ['-C', layout, '-cf', `${layout}.tar`, '.']);
    ctr('images', 'import', '--all-platforms', `${layout}.tar`);
    ctr('images', 'push', '--plain-http', source);
    const c = new OciTestClient(reg.url);
    const head = await c.request(`/v2/${org}/source/manifests/v1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(indexDigest);

    ctr('images', 'rm', source);
    ctr('images', 'pull', '--plain-http', source);
    const listed = ctr('images', 'ls', '-q').stdout.split('\n');
    expect(listed).toContain(source);
    const target = `${reg.host}/${org}/copy:v2`;
    ctr('images', 'tag', source, target);
    ctr('images', 'push', '--plain-http', target);
    const copied = await c.request(`/v2/${org}/copy/manifests/v2`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(copied.headers.get('docker-content-digest')).toBe(indexDigest);
  });
});
