import { createHash, randomBytes } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import type { NewManifest } from '@wharf/registry-core';
import { requireService } from '@wharf/testing';
import { PgGcStore, PgRegistryStore } from '@wharf/database';
import { createOwnDatabase, OwnDatabase } from './support/own-database';

/**
 * The locking protocol between the collector (PgGcStore) and pushes (PgRegistryStore) on a real
 * Postgres, one interleaving at a time: each test holds one side at the point where a race would
 * lose data and checks the other side does the safe thing. A database of its own: the collector
 * sweeps whole tables.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const LATER = () => new Date(Date.now() + 60_000); // a cut-off past everything: no grace

(suiteDatabase ? describe : describe.skip)('PgGcStore against pushes', () => {
  let own: OwnDatabase;
  let pool: Pool;
  let registry: PgRegistryStore;
  let gc: PgGcStore;
  const repo = 'acme/app';
  const newBlob = () => {
    const bytes = randomBytes(16);
    return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
  };
  const state = async (digest: string) => ((await pool.query('SELECT state FROM blobs WHERE digest = $1', [digest])).rows[0]?.state as string) ?? 'gone';
  const manifestOf = (digests: string[], tag: string | null): NewManifest => {
    const payload = Buffer.from(JSON.stringify({ layers: digests, n: randomBytes(4).toString('hex') }));
    return {
      repository: repo,
      digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: null,
      payload,
      subjectDigest: null,
      annotations: null,
      references: digests.map((digest) => ({ digest, kind: 'layer' as const })),
      tag,
      pushedBy: null,
    };
  };
  const committed = async () => {
    const blob = newBlob();
    await registry.commitBlob(repo, blob, async () => undefined);
    return blob;
  };
  /** Marks and claims every unreferenced blob: they are `deleting` when it returns. */
  const claimAll = async () => {
    await gc.markBlobs(LATER());
    while ((await gc.claimCandidates(LATER(), 1000)) > 0);
  };
  const inTransaction = async (sql: string, values: unknown[]): Promise<PoolClient> => {
    const tx = await pool.connect();
    await tx.query('BEGIN');
    await tx.query(sql, values);
    return tx;
  };
  const finish = async (tx: PoolClient) => {
    await tx.query('COMMIT');
    tx.release();
  };

  beforeAll(async () => {
    own = await createOwnDatabase(suiteDatabase as string, 'gcstore');
    pool = new Pool({ connectionString: own.url, max: 8 });
    registry = new PgRegistryStore(pool);
    gc = new PgGcStore(pool);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await own?.drop();
  });
  afterEach(async () => {
    // Each test starts from nothing unreferenced: earlier tests' blobs go.
    await claimAll();
    await gc.finishDeletions(10_000, async () => undefined);
  });

  it('a candidate a manifest PUT holds is skipped, and kept once the PUT is committed', async () => {
    const blob = await committed();
    expect(await gc.markBlobs(LATER())).toBe(1);
    const put = await inTransaction('SELECT 1 FROM blobs WHERE digest = $1 FOR KEY SHARE', [blob.digest]); // the PUT's lock
    expect(await gc.claimCandidates(LATER(), 10)).toBe(0);
    expect(await state(blob.digest)).toBe('candidate');
    await finish(put);
    expect(await registry.putManifest(manifestOf([blob.digest], 'v1'))).toBe(true);
    expect(await gc.claimCandidates(LATER(), 10)).toBe(1);
    expect(await state(blob.digest)).toBe('none'); // re-checked under the lock: referenced
  });

  it('a blob claimed for deletion cannot be referenced: the manifest PUT stores nothing', async () => {
    const blob = await committed();
    await claimAll();
    expect(await state(blob.digest)).toBe('deleting');
    const manifest = manifestOf([blob.digest], 'v2');
    expect(await registry.putManifest(manifest)).toBe(false);
    expect(await registry.findManifest(repo, manifest.digest)).toBeNull();
    expect(await registry.resolveTag(repo, 'v2')).toBeNull();
    expect(await registry.findRepositoryBlob(repo, blob.digest)).toBeNull(); // its HEAD says 404: the client uploads it
  });

  it('an upload of a digest being deleted waits until the bytes are gone, then puts its own', async () => {
    const blob = await committed();
    await claimAll();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const deleting = new Promise<void>((r) => (started = r));
    const sweep = gc.finishDeletions(10, async () => {
      started();
      await held;
      order.push('collector deleted the bytes');
    });
    await deleting;
    const upload = registry.commitBlob('acme/other', blob, async (present) => void order.push(`upload placed its bytes (present: ${present})`));
    await new Promise((r) => setTimeout(r, 300));
    expect(order).toEqual([]); // the upload waits on the row lock
    release();
    await sweep;
    await upload;
    expect(order).toEqual(['collector deleted the bytes', 'upload placed its bytes (present: false)']);
    expect(await state(blob.digest)).toBe('none');
    expect(await registry.findRepositoryBlob('acme/other', blob.digest)).toEqual(blob);
  });

  it('an upload of a digest a killed run left `deleting` takes it back and puts its bytes again', async () => {
    const blob = await committed();
    await claimAll(); // the run dies here: rows `deleting`, bytes maybe half gone
    const seen: boolean[] = [];
    await registry.commitBlob(repo, blob, async (present) => void seen.push(present));
    expect(seen).toEqual([false]);
    expect(await state(blob.digest)).toBe('none');
    expect((await gc.finishDeletions(10, async () => undefined)).blobs).toEqual([]);
  });

  it('a mount of a blob being deleted is refused (the client uploads instead); of a live one, it links', async () => {
    const gone = await committed();
    await claimAll();
    expect(await registry.linkBlob('acme/mounted', gone)).toBe(false);
    const live = await committed();
    await registry.putManifest(manifestOf([live.digest], 'live'));
    expect(await registry.linkBlob('acme/mounted', live)).toBe(true);
  });

  it('an untagged manifest whose tag arrives during the collection is kept', async () => {
    const blob = await committed();
    const manifest = manifestOf([blob.digest], null);
    expect(await registry.putManifest(manifest)).toBe(true);
    // A tag PUT in flight: its foreign-key check holds the manifest row.
    const tagPut = await inTransaction(
      `INSERT INTO tags (repository_id, name, manifest_digest) SELECT id, 'late', $1 FROM repositories WHERE name = $2`,
      [manifest.digest, repo],
    );
    expect(await gc.deleteUntaggedManifests(LATER(), 10)).toEqual([]);
    await finish(tagPut);
    expect(await gc.deleteUntaggedManifests(LATER(), 10)).toEqual([]);
    expect(await registry.resolveTag(repo, 'late')).toBe(manifest.digest);
    const untagged = manifestOf([blob.digest], null);
    await registry.putManifest(untagged);
    expect(await gc.deleteUntaggedManifests(LATER(), 10)).toEqual([{ repository: repo, digest: untagged.digest }]);
  });

  it('finishing deletes the rows and links and names the repositories that had them', async () => {
    const blob = await committed();
    await registry.linkBlob('acme/second', blob);
    await claimAll();
    const removed: string[][] = [];
    const done = await gc.finishDeletions(10, async (blobs) => void removed.push(blobs.map((b) => b.digest)));
    expect(done.blobs).toEqual([blob]);
    expect(done.repositories.sort()).toEqual(['acme/app', 'acme/second']);
    expect(removed).toEqual([[blob.digest]]);
    expect(await state(blob.digest)).toBe('gone');
  });
});
