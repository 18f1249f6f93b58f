import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { requireRoot, requireService } from '@wharf/testing';
import { busyboxRootfsTar, hasCommand, run } from './support/commands';
import { startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about podman's push and pull protocol; podman login with token auth is in clients-login.e2e.ts.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const podmanPresent = hasCommand('podman') ? 'podman' : requireService('WHARF_TEST_PODMAN', 'podman (apt-get install podman)');
const isRoot = requireRoot('podman with vfs storage');

(databaseUrl && podmanPresent && isRoot ? describe : describe.skip)('podman push and pull', () => {
  let reg: TestRegistry;
  let work: string;
  const podman = (...args: string[]) =>
    run('podman', ['--root', join(work, 'root'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', ...args]);
  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'podman-'));
    reg = await startRegistryProcess(databaseUrl as string);
  }, 120_000);
  afterAll(() => reg?.close());

  it('pushes an image and pulls it back with the same image ID', () => {
    const image = `${reg.host}/${uniqueOrg('podman')}/app:v1`;
    podman('import', busyboxRootfsTar(work), image);
    const id = podman('image', 'inspect', '--format', '{{.Id}}', image).stdout.trim();
    podman('push', '--tls-verify=false', image);
    podman('rmi', image);
    podman('pull', '--tls-verify=false', image);
    expect(podman('image', 'inspect', '--format', '{{.Id}}', image).stdout.trim()).toBe(id);
  });
});
