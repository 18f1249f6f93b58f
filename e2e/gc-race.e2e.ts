import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, OciTestClient, requireService, sha256 } from '@wharf/testing';
import { busyboxRootfsTar, hasCommand, run, runAsync } from './support/commands';
import { blobsInDatabase, gcRun, GcRunView, GcServer, startGcServer, storedBlobs, verifyPull } from './support/gc-server';
import { writeMultiPlatformLayout } from './support/oci-layout';
import { uniqueOrg } from './support/test-registry';

/**
 * Online garbage collection under a push storm (issue #13's race test): raw chunked and monolithic
 * uploads, cross-repository mounts, a shared base layer, tags re-pointed and deleted, skopeo copies
 * of two-platform indexes and docker pushes, all while collection runs back to back with a grace
 * window of 1 s. Afterwards every tag pulls whole with the right digests, and the blobs in storage,
 * the blob rows and the blobs some manifest references are the same set: nothing lost, nothing left.
 * A push may be refused with MANIFEST_BLOB_UNKNOWN when a blob it had checked was collected before
 * its manifest arrived (the client pushes again); every other failure fails the test.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const suiteRedis = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const s3Endpoint = requireService('WHARF_TEST_S3_ENDPOINT', 'an S3 server');
const skopeo = hasCommand('skopeo') ? 'skopeo' : requireService('WHARF_TEST_SKOPEO', 'skopeo (apt-get install skopeo)');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');

const STORM_MS = 20_000;
const OCI = 'application/vnd.oci.image.manifest.v1+json';

interface Stats {
  pushed: number;
  refusedBlobUnknown: number;
  errors: string[];
}

const refusedForCollectedBlob = (text: string) => /MANIFEST_BLOB_UNKNOWN|BLOB_UNKNOWN|blob unknown|manifest blob unknown/i.test(text);

async function rawPusher(base: string, repos: string[], shared: Buffer, w: number, stopAt: number, stats: Stats): Promise<void> {
  const c = new OciTestClient(base);
  const octet = { 'content-type': 'application/octet-stream' };
  for (let i = 0; Date.now() < stopAt; i++) {
    const repo = repos[(w + i) % repos.length] as string;
    const tag = `t${(w + i) % 4}`;
    const unique = randomBytes(8 * 1024 + ((w * 131 + i * 17) % 4096));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, w, i }));
    try {
      // The shared layer: mounted from another repository half the time (a 202 means "upload it").
      if (i % 2 === 0) {
        const from = repos[(w + i + 1) % repos.length] as string;
        const mount = await c.request(`/v2/${repo}/blobs/uploads/?mount=${sha256(shared)}&from=${from}`, { method: 'POST' });
        if (mount.status === 202) {
          const loc = mount.headers.get('location') as string;
          const put = await c.request(`${loc}${loc.includes('?') ? '&' : '?'}digest=${sha256(shared)}`, { method: 'PUT', body: shared, headers: octet });
          if (put.status !== 201) throw new Error(`shared layer PUT answered ${put.status}`);
        } else if (mount.status !== 201) throw new Error(`mount answered ${mount.status}`);
      } else if ((await c.pushBlob(repo, shared)).status !== 201) throw new Error('shared layer upload failed');
      // The image's own layer in two chunks.
      let loc = await c.startUpload(repo);
      for (const part of [unique.subarray(0, 4096), unique.subarray(4096)]) {
        const patch = await c.request(loc, { method: 'PATCH', body: part, headers: octet });
        if (patch.status !== 202) throw new Error(`PATCH answered ${patch.status}`);
        loc = patch.headers.get('location') as string;
      }
      const done = await c.request(`${loc}${loc.includes('?') ? '&' : '?'}digest=${sha256(unique)}`, { method: 'PUT' });
      if (done.status !== 201) throw new Error(`chunked upload PUT answered ${done.status}`);
      if ((await c.pushBlob(repo, config)).status !== 201) throw new Error('config upload failed');
      const manifest = {
        schemaVersion: 2,
        mediaType: OCI,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [shared, unique].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
      };
      const put = await c.putManifest(repo, tag, manifest, OCI);
      if (put.status === 201) stats.pushed++;
      else if (put.status === 400 && (await errorCode(put)) === 'MANIFEST_BLOB_UNKNOWN') stats.refusedBlobUnknown++;
      else throw new Error(`manifest PUT answered ${put.status}`);
      if (i % 5 === 4) {
        const del = await c.request(`/v2/${repo}/manifests/${tag}`, { method: 'DELETE' });
        if (del.status !== 202 && del.status !== 404) throw new Error(`tag DELETE answered ${del.status}`);
      }
    } catch (err) {
      stats.errors.push(`raw pusher ${w}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

async function clientPusher(label: string, push: (i: number) => Promise<unknown>, stopAt: number, stats: Stats): Promise<void> {
  for (let i = 0; Date.now() < stopAt; i++) {
    try {
      await push(i);
      stats.pushed++;
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (refusedForCollectedBlob(text)) stats.refusedBlobUnknown++;
      else stats.errors.push(`${label}: ${text.slice(0, 800)}`);
    }
  }
}

function describeStorm(storage: 'filesystem' | 's3', redisDb: number): void {
  const available = suiteDatabase && suiteRedis && skopeo && dockerHost && (storage === 'filesystem' || s3Endpoint);
  (available ? describe : describe.skip)(`garbage collection during a push storm (${storage})`, () => {
    let s: GcServer;
    let work: string;
    let dockerImage: string;
    const org = uniqueOrg('race');
    const docker = (...args: string[]) => runAsync('docker', args, { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker-config') } });

    beforeAll(async () => {
      s = await startGcServer({
        suiteDatabaseUrl: suiteDatabase as string,
        suiteRedisUrl: suiteRedis as string,
        redisDb,
        graceSeconds: 1,
        s3Endpoint: storage === 's3' ? s3Endpoint : undefined,
        prefix: `race${storage[0]}`,
      });
      work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'gc-race-'));
      dockerImage = `wharf-gc-race:${org}`;
      run('docker', ['import', busyboxRootfsTar(work), dockerImage], { env: { DOCKER_HOST: dockerHost as string } });
    }, 180_000);
    afterAll(async () => {
      await s?.close();
      if (work) run('docker', ['rmi', '-f', dockerImage], { env: { DOCKER_HOST: dockerHost as string } });
    });

    it('loses nothing a tag points at and leaves nothing behind', async () => {
      const host = s.srv.host;
      const repos = ['a', 'b', 'c'].map((r) => `${org}/${r}`);
      const shared = randomBytes(200 * 1024);
      const layouts = [0, 1, 2].map((k) => {
        const dir = join(work, `layout-${k}`);
        writeMultiPlatformLayout(dir, 'v1', [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: `arm-v${k}` }]);
        return dir;
      });
      const stats: Stats = { pushed: 0, refusedBlobUnknown: 0, errors: [] };
      const runs: GcRunView[] = [];
      const stopAt = Date.now() + STORM_MS;
      const collecting = (async () => {
        while (Date.now() < stopAt) runs.push(await gcRun(s));
      })();
      await Promise.all([
        ...[0, 1, 2, 3].map((w) => rawPusher(s.srv.url, repos, shared, w, stopAt, stats)),
        clientPusher(
          'skopeo',
          async (i) => {
            const ref = `docker://${host}/${org}/sk:t${i % 3}`;
            await runAsync('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${layouts[i % 3]}:v1`, ref], { timeoutMs: 60_000 });
            if (i % 4 === 3) await runAsync('skopeo', ['delete', '--tls-verify=false', ref]);
          },
          stopAt,
          stats,
        ),
        clientPusher(
          'docker',
          async (i) => {
            const ref = `${host}/${org}/dk:t${i % 2}`;
            await docker('tag', dockerImage, ref);
            await docker('push', ref);
            if (i % 3 === 2) await fetch(`${s.srv.url}/v2/${org}/dk/manifests/t${i % 2}`, { method: 'DELETE' });
          },
          stopAt,
          stats,
        ),
      ]);
      await collecting;
      process.stdout.write(
        `gc race (${storage}): ${stats.pushed} pushes, ${stats.refusedBlobUnknown} refused for a collected blob, ${runs.length} runs during the storm ` +
          `removing ${runs.reduce((n, r) => n + r.blobsRemoved, 0)} blobs and ${runs.reduce((n, r) => n + r.manifestsRemoved, 0)} manifests\n`,
      );
      expect(stats.errors).toEqual([]);
      expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(stats.pushed).toBeGreaterThan(20);
      expect(runs.reduce((n, r) => n + r.blobsRemoved, 0)).toBeGreaterThan(0); // it did collect while pushes ran

      await new Promise((r) => setTimeout(r, 1100)); // past the grace window, then one quiet run
      expect(await gcRun(s)).toMatchObject({ status: 'succeeded', errors: [] });
      const problems: string[] = [];
      for (const repo of [...repos, `${org}/sk`, `${org}/dk`]) {
        const list = await fetch(`${s.srv.url}/v2/${repo}/tags/list`);
        const tags = list.status === 200 ? (((await list.json()) as { tags: string[] | null }).tags ?? []) : [];
        for (const tag of tags) problems.push(...(await verifyPull(s.srv.url, repo, tag)));
      }
      expect(problems).toEqual([]);
      const db = await blobsInDatabase(s.db);
      expect(db.rows).toEqual(db.referenced);
      expect(await storedBlobs(s.storage)).toEqual(db.referenced);
      expect(db.referenced.length).toBeGreaterThan(3);
    }, 240_000);
  });
}

describeStorm('filesystem', 12);
describeStorm('s3', 13);
