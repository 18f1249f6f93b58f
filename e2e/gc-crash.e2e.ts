import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciTestClient, requireService } from '@wharf/testing';
import { adminApi, blobsInDatabase, gcRun, GcServer, sha256hex, startGcServer, storedBlobs, verifyPull, waitForRun } from './support/gc-server';
import { uniqueOrg } from './support/test-registry';

/**
 * A gc worker killed with SIGKILL in the middle of a sweep (issue #13): after a restart the run is
 * marked failed, the next run finishes the work (blobs left half deleted included), and nothing a
 * tag points at is gone. Single-machine mode on the filesystem with a grace window of 0.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const suiteRedis = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const GARBAGE = 20_000;

(suiteDatabase && suiteRedis ? describe : describe.skip)('a gc worker killed mid-sweep', () => {
  let s: GcServer;
  beforeAll(async () => {
    s = await startGcServer({ suiteDatabaseUrl: suiteDatabase as string, suiteRedisUrl: suiteRedis as string, redisDb: 14, graceSeconds: 0, prefix: 'gccrash' });
  }, 120_000);
  afterAll(() => s?.close());

  it('is marked failed after a restart, and the next run finishes what it left', async () => {
    const org = uniqueOrg('crash');
    await new OciTestClient(s.srv.url).pushImage(`${org}/app`, 'v1', [randomBytes(4096), randomBytes(4096)]);
    // Garbage enough for a sweep of many batches: blobs no manifest references, written where the
    // filesystem driver keeps blobs, with their rows as an upload would leave them.
    const digests: string[] = [];
    for (let i = 0; i < GARBAGE; i++) {
      const bytes = Buffer.from(`garbage ${i} ${randomBytes(8).toString('hex')}`);
      const hex = sha256hex(bytes);
      const dir = join(s.srv.dataDir, 'blobs/files/blobs/sha256', hex.slice(0, 2), hex);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'data'), bytes);
      digests.push(`sha256:${hex}`);
    }
    await s.db.query(`INSERT INTO blobs (digest, size, linked_at) SELECT d, 40, now() - interval '1 hour' FROM unnest($1::text[]) d`, [digests]);

    const res = await adminApi(s, '/gc/runs', { method: 'POST', body: '{}' });
    const { id } = (await res.json()) as { id: string };
    // Kill once the sweep has deleted some batches and not all.
    const deadline = Date.now() + 60_000;
    const rows = async () => Number((await s.db.query(`SELECT count(*) FROM blobs`)).rows[0].count);
    let left = GARBAGE;
    while (left > GARBAGE - 2000) {
      if (Date.now() > deadline) throw new Error(`the sweep did not start (${left} garbage rows left)`);
      await new Promise((r) => setTimeout(r, 10));
      left = (await rows()) - 3; // the kept image's config and two layers
    }
    process.kill(s.srv.pid as number, 'SIGKILL');
    expect(left).toBeGreaterThan(0);
    const interrupted = await s.db.query(`SELECT status FROM gc_runs WHERE id = $1`, [id]);
    expect(interrupted.rows[0].status).toBe('running');

    await s.restart();
    const failed = await waitForRun(s, id, 30_000, ['failed']);
    expect(failed.errors).toEqual([expect.stringContaining('interrupted')]);
    expect(failed.blobsRemoved).toBeGreaterThan(0);

    const next = await gcRun(s);
    expect(next.status).toBe('succeeded');
    expect(next.blobsRemoved).toBeGreaterThan(0);
    expect(next.blobsRemoved).toBeLessThanOrEqual(left);
    expect(await verifyPull(s.srv.url, `${org}/app`, 'v1')).toEqual([]);
    const db = await blobsInDatabase(s.db);
    expect(db.rows).toEqual(db.referenced);
    expect(db.referenced).toHaveLength(3);
    expect(await storedBlobs(s.storage)).toEqual(db.referenced);
  }, 240_000);
});
