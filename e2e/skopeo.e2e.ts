import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireService, sha256 } from '@wharf/testing';
import { hasCommand, run } from './support/commands';
import { writeMultiPlatformLayout } from './support/oci-layout';
import { startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about skopeo's multi-platform copy protocol; skopeo with --creds and token auth is in clients-login.e2e.ts.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const skopeo = hasCommand('skopeo') ? 'skopeo' : requireService('WHARF_TEST_SKOPEO', 'skopeo (apt-get install skopeo)');

(databaseUrl && skopeo ? describe : describe.skip)('skopeo copies a two-platform OCI index in and out', () => {
  let reg: TestRegistry;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'skopeo-'));
    reg = await startRegistryProcess(databaseUrl as string);
  }, 120_000);
  afterAll(() => reg?.close());

  it('keeps every digest identical', () => {
    const org = uniqueOrg('skopeo');
    const layout = join(work, 'in');
    const indexDigest = writeMultiPlatformLayout(layout, 'v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    const ref = `docker://${reg.host}/${org}/multi:v1`;
    run('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:v1`, ref]);
    const raw = run('skopeo', ['inspect', '--raw', '--tls-verify=false', ref]).stdout;
    expect(sha256(raw)).toBe(indexDigest);
    expect(JSON.parse(raw).manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(['amd64', 'arm64']);

    const out = join(work, 'out');
    run('skopeo', ['copy', '--all', '--preserve-digests', '--src-tls-verify=false', ref, `oci:${out}:v1`]);
    const outIndex = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(outIndex.manifests[0].digest).toBe(indexDigest);
    // Each platform's manifest came back byte-identical too.
    const original = JSON.parse(readFileSync(join(layout, 'blobs/sha256', indexDigest.slice(7)), 'utf8'));
    for (const m of original.manifests as { digest: string }[]) {
      expect(readFileSync(join(out, 'blobs/sha256', m.digest.slice(7)))).toEqual(readFileSync(join(layout, 'blobs/sha256', m.digest.slice(7))));
    }
    const arm = run('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', ref]).stdout;
    expect(JSON.parse(arm).Architecture).toBe('arm64');
  });
});
