import { randomBytes } from 'node:crypto';
import { dockerSaveMembers, requireService, tarArchive } from '@wharf/testing';
import { adminApi, GcServer, startGcServer, verifyPull } from './support/gc-server';
import { uniqueOrg } from './support/test-registry';
import { registryRows, uploadFiles, UploadView, waitForUpload } from './support/upload-client';

/**
 * A builder worker killed with SIGKILL in the middle of an import (issue #14): the job is taken
 * again after the restart and finishes, with every tag, nothing twice, and no tag visible before
 * the image is whole. Single-machine mode on a database and Redis index of its own.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const suiteRedis = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const MiB = 1024 * 1024;

(suiteDatabase && suiteRedis ? describe : describe.skip)('a builder worker killed mid-import', () => {
  let s: GcServer;
  beforeAll(async () => {
    s = await startGcServer({ suiteDatabaseUrl: suiteDatabase as string, suiteRedisUrl: suiteRedis as string, redisDb: 10, graceSeconds: 3600, prefix: 'upcrash' });
  }, 120_000);
  afterAll(() => s?.close());

  it('is retried after a restart and finishes without duplicates or partial tags', async () => {
    const org = uniqueOrg('crash');
    expect((await adminApi(s, '/organizations', { method: 'POST', body: JSON.stringify({ name: org }) })).status).toBe(201);
    // Incompressible layers, so that storing them (gzip) takes long enough to be interrupted.
    const { members } = dockerSaveMembers([
      {
        repoTags: ['big:v1', 'big:v2'],
        layers: [{ 'data/one': randomBytes(96 * MiB).toString('latin1') }, { 'data/two': randomBytes(96 * MiB).toString('latin1') }],
      },
    ]);
    const res = await uploadFiles(s, org, [{ name: 'big.tar', content: tarArchive(members) }]);
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { uploads: UploadView[] }).uploads[0]?.id as string;

    // Kill once the second pass (storing blobs) has begun, before the manifests and tags.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const row = (await s.db.query(`SELECT status, phase, bytes_done FROM imports WHERE id = $1`, [id])).rows[0];
      if (row.status === 'importing' && row.phase === 'storing') break;
      if (row.status === 'succeeded' || row.status === 'failed' || Date.now() > deadline) throw new Error(`could not catch the import storing: ${JSON.stringify(row)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    process.kill(s.srv.pid as number, 'SIGKILL');
    const atKill = await registryRows(s.db, org);
    expect(atKill.tags).toBe(0); // no tag points at a half-imported image
    expect(atKill.manifests).toBe(0);

    await s.restart();
    // BullMQ hands the job to the restarted worker once the killed worker's lock has expired (30 s).
    const done = await waitForUpload(s, id, 120_000);
    expect(done).toMatchObject({ status: 'succeeded', error: null, images: [{ repository: `${org}/big`, tags: ['v1', 'v2'] }] });
    expect(await registryRows(s.db, org)).toEqual({ repositories: 1, tags: 2, manifests: 1, links: 3 });
    expect(await verifyPull(s.srv.url, `${org}/big`, 'v1')).toEqual([]);
    expect(Number((await s.db.query(`SELECT count(*) FROM imports WHERE batch_id = (SELECT batch_id FROM imports WHERE id = $1)`, [id])).rows[0].count)).toBe(1);
  }, 240_000);
});
