import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { requireService } from '@wharf/testing';
import { busyboxRootfsTar, runAsync } from './support/commands';
import { cleanUpStarted, npmStart, Wharf } from './support/npm-start';
import { runReadmeTours } from './support/readme';
import { freePort } from './support/test-registry';

/**
 * The README's tours, run as written: every ```bash block that follows a `<!-- tour -->` marker
 * is taken from README.md itself and run top to bottom by bash (`set -euo pipefail`, each API call
 * with `curl --fail-with-body`) against `npm start` on a fresh data directory. Only the address is
 * replaced (a free port instead of 5000, which may be taken); the test provides what the README
 * names as prerequisites: the printed admin password in ADMIN_PASSWORD, a local busybox:latest
 * image, and the suite's dockerd and containerd (DOCKER_HOST, CONTAINERD_ADDRESS).
 */
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');
const containerd = requireService('WHARF_TEST_CONTAINERD_ADDRESS', 'containerd and ctr');
const jq = spawnSync('jq', ['--version']).status === 0 ? 'jq' : requireService('WHARF_TEST_JQ', 'jq');

(dockerHost && containerd && jq ? describe : describe.skip)('README tours', () => {
  let wharf: Wharf;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'readme-'));
    wharf = await npmStart(join(work, 'data'), await freePort());
    const env = { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker') };
    await runAsync('docker', ['import', busyboxRootfsTar(work), 'busybox:latest'], { env });
  }, 120_000);
  afterAll(async () => {
    await wharf?.ctrlC();
    cleanUpStarted();
  });

  it('every tour block runs top to bottom against npm start', async () => {
    const password = /generated password: (\S+)/.exec(wharf.output())?.[1] as string;
    const host = new URL(wharf.url).host;
    const stdout = runReadmeTours(host, work, { adminPassword: password, dockerHost: dockerHost as string, containerdAddress: containerd as string });
    // What the tours did is visible afterwards: the quick start's image and skopeo's copy are
    // there, the API tour's organization is gone.
    const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
    const token = await fetch(`${wharf.url}/token?service=wharf-registry&scope=repository:demo/app:pull`, { headers: auth });
    const bearer = { authorization: `Bearer ${((await token.json()) as { token: string }).token}` };
    const tags = (await (await fetch(`${wharf.url}/v2/demo/app/tags/list`, { headers: bearer })).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['v1', 'v1-copy']);
    const login = await fetch(`${wharf.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const api = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
    expect((await fetch(`${wharf.url}/api/v1/organizations/xc-edu-cloud-01`, { headers: api })).status).toBe(404);
    expect(stdout).toContain('"name":"acme"');
    expect(stdout).toMatch(/docker login -u local@\S+ -p \S+ /);
  });
});
