import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonOf, requireService } from '@wharf/testing';
import { busyboxRootfsTar, run } from './support/commands';
import { startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about what docker does with the registry (build, push, pull, cross-repository mounts, layer reuse); docker login with every credential kind and the permission matrix run with token auth in clients-login.e2e.ts and permission-matrix.e2e.ts.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');

(databaseUrl && dockerHost ? describe : describe.skip)('docker CLI against a real dockerd', () => {
  let reg: TestRegistry;
  let work: string;
  const docker = (...args: string[]) => run('docker', args, { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker-config') } });
  let image: string;
  let org: string;

  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'docker-'));
    reg = await startRegistryProcess(databaseUrl as string);
    org = uniqueOrg('docker');
    image = `${reg.host}/${org}/app:v1`;
    const base = `wharf-e2e-base:${org}`;
    docker('import', busyboxRootfsTar(work), base);
    // A multi-layer image: the imported base plus a RUN layer and a COPY layer.
    const ctx = join(work, 'ctx');
    run('mkdir', ['-p', ctx]);
    writeFileSync(join(ctx, 'greeting.txt'), 'hello from a copied file\n');
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nRUN echo built-by-run > /built.txt\nCOPY greeting.txt /greeting.txt\n`);
    run('docker', ['build', '--network', 'none', '-t', image, ctx], {
      env: { DOCKER_HOST: dockerHost as string, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(work, 'docker-config') },
    });
  }, 300_000);
  afterAll(async () => {
    await reg?.close();
  });

  it('pushes a multi-layer image, pulls it back after rmi, and runs it', () => {
    const push = docker('push', image).stdout;
    expect(push).toMatch(/v1: digest: sha256:[0-9a-f]{64}/);
    const layers = (push.match(/: Pushed/g) ?? []).length;
    expect(layers).toBeGreaterThanOrEqual(3);
    const id = docker('image', 'inspect', '--format', '{{.Id}}', image).stdout.trim();
    docker('rmi', image);
    const pull = docker('pull', image).stdout;
    expect(pull).toContain('Downloaded newer image');
    expect(docker('image', 'inspect', '--format', '{{.Id}}', image).stdout.trim()).toBe(id);
    const out = docker('run', '--rm', '--network', 'none', image, 'cat', '/built.txt', '/greeting.txt').stdout;
    expect(out).toBe('built-by-run\nhello from a copied file\n');
  });

  it('pushing the same image to a second repository mounts the layers instead of uploading them', async () => {
    const second = `${reg.host}/${org}/copy:v1`;
    docker('tag', image, second);
    const push = docker('push', second).stdout;
    expect(push).toMatch(new RegExp(`Mounted from ${org}/app`));
    expect(push).not.toMatch(/: Pushed/);
    const tags = await jsonOf(fetch(`${reg.url}/v2/${org}/copy/tags/list`));
    expect(tags.tags).toEqual(['v1']);
  });

  it('pushing an unchanged image again uploads nothing', () => {
    const push = docker('push', image).stdout;
    expect(push).toMatch(/Layer already exists/);
    expect(push).not.toMatch(/: Pushed/);
  });
});
