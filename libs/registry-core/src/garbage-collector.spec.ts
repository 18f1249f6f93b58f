import { PathNotFoundError, StorageDriver } from '@wharf/storage-api';
import { fakePort, PortCall } from '@wharf/testing';
import { GarbageCollector } from './garbage-collector';
import type { GcBlob, GcManifest, GcStore } from './gc-store.port';

const NOW = new Date('2026-12-02T12:00:00Z');
const hex = (c: string) => c.repeat(64);
const digest = (c: string) => `sha256:${hex(c)}`;
const UPLOAD = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

/**
 * The collector over a faked store (blobs by state, manifests in passes) and faked storage: what
 * it asks for, in which order, and what it deletes. The real locking is tested against Postgres
 * in e2e/garbage-collection.e2e.ts.
 */
function build(state: {
  leftovers?: GcBlob[];
  candidates?: GcBlob[];
  manifestPasses?: GcManifest[][];
  expired?: string[];
  uploadDirs?: { id: string; modified: Date; live?: boolean }[];
}) {
  const calls: PortCall[] = [];
  const deleting = [...(state.leftovers ?? [])];
  const candidates = [...(state.candidates ?? [])];
  const passes = [...(state.manifestPasses ?? [])];
  const expired = [...(state.expired ?? [])];
  const dirs = state.uploadDirs ?? [];
  const store = fakePort<GcStore>(
    'store',
    {
      expireUploads: async () => expired.splice(0),
      liveUploads: async (ids) => new Set(ids.filter((id) => dirs.find((d) => d.id === id)?.live)),
      deleteUntaggedManifests: async () => passes.shift() ?? [],
      markBlobs: async () => candidates.length,
      claimCandidates: async (_before, limit) => {
        const taken = candidates.splice(0, limit);
        deleting.push(...taken);
        return taken.length;
      },
      finishDeletions: async (limit, removeBytes) => {
        const batch = deleting.splice(0, limit);
        if (batch.length > 0) await removeBytes(batch);
        return { blobs: batch, repositories: batch.length ? ['acme/web'] : [] };
      },
    },
    calls,
  );
  const storage = fakePort<StorageDriver>(
    'storage',
    {
      list: async (path) => {
        if (dirs.length === 0) throw new PathNotFoundError(path);
        return dirs.map((d) => `/uploads/${d.id}`);
      },
      stat: async (path) => {
        const dir = dirs.find((d) => path.startsWith(`/uploads/${d.id}`));
        return dir ? { path, size: 1, modified: dir.modified, isDirectory: false } : null;
      },
      delete: async () => undefined,
      deleteMany: async () => undefined,
    },
    calls,
  );
  const forgotten: string[][] = [];
  const gc = new GarbageCollector(store, storage, async (names) => void forgotten.push(names), () => NOW);
  return { gc, calls, forgotten };
}

const options = { graceSeconds: 60, uploadTtlHours: 24, keepUntagged: false };

describe('GarbageCollector', () => {
  it('finishes an interrupted run’s deletions before marking, then sweeps claimed candidates, deleting bytes by their layout paths', async () => {
    const { gc, calls, forgotten } = build({ leftovers: [{ digest: digest('a'), size: 10 }], candidates: [{ digest: digest('b'), size: 5 }] });
    const report = await gc.collect(options);
    expect(report).toEqual({ manifestsRemoved: 0, blobsRemoved: 2, bytesFreed: 15, uploadsRemoved: 0, errors: [] });
    const order = calls.map(([m]) => m).filter((m) => ['store.markBlobs', 'storage.deleteMany', 'store.claimCandidates'].includes(m));
    expect(order).toEqual(['storage.deleteMany', 'store.markBlobs', 'store.claimCandidates', 'storage.deleteMany', 'store.claimCandidates']);
    const deleted = calls.filter(([m]) => m === 'storage.deleteMany').map(([, paths]) => paths);
    expect(deleted).toEqual([[`/blobs/sha256/aa/${hex('a')}/data`], [`/blobs/sha256/bb/${hex('b')}/data`]]);
    expect(forgotten).toEqual([['acme/web'], ['acme/web']]);
  });

  it('uses the grace window as the cut-off for blobs and manifests', async () => {
    const { gc, calls } = build({});
    await gc.collect(options);
    const cutoff = new Date(NOW.getTime() - 60_000);
    expect(calls.find(([m]) => m === 'store.markBlobs')).toEqual(['store.markBlobs', cutoff]);
    expect(calls.find(([m]) => m === 'store.claimCandidates')).toEqual(['store.claimCandidates', cutoff, 1000]);
    expect(calls.find(([m]) => m === 'store.deleteUntaggedManifests')).toEqual(['store.deleteUntaggedManifests', cutoff, 1000]);
    expect(calls.find(([m]) => m === 'store.expireUploads')).toEqual(['store.expireUploads', new Date(NOW.getTime() - 24 * 3600_000), 1000]);
  });

  it('removes manifests in passes until one removes nothing (an index first, its children next), telling caches', async () => {
    const passes = [[{ repository: 'acme/app', digest: digest('1') }], [], [{ repository: 'acme/app', digest: digest('2') }], [], []];
    const { gc, forgotten } = build({ manifestPasses: passes });
    expect((await gc.collect(options)).manifestsRemoved).toBe(2);
    expect(forgotten).toEqual([['acme/app'], ['acme/app']]);
  });

  it('keeps untagged manifests when asked', async () => {
    const { gc, calls } = build({ manifestPasses: [[{ repository: 'acme/app', digest: digest('1') }]] });
    expect((await gc.collect({ ...options, keepUntagged: true })).manifestsRemoved).toBe(0);
    expect(calls.some(([m]) => m === 'store.deleteUntaggedManifests')).toBe(false);
  });

  it('removes expired sessions and upload directories without a session that are older than the grace window', async () => {
    const old = new Date(NOW.getTime() - 3600_000);
    const { gc, calls } = build({
      expired: [UPLOAD(1)],
      uploadDirs: [
        { id: UPLOAD(2), modified: old }, // its repository was deleted: an orphan
        { id: UPLOAD(3), modified: new Date(NOW.getTime() - 1000) }, // an orphan too young to tell
        { id: UPLOAD(4), modified: old, live: true }, // a session still open
      ],
    });
    expect((await gc.collect(options)).uploadsRemoved).toBe(2);
    expect(calls.filter(([m]) => m === 'storage.delete').map(([, p]) => p)).toEqual([`/uploads/${UPLOAD(1)}`, `/uploads/${UPLOAD(2)}`]);
  });

  it('previews with the same cut-offs and changes nothing', async () => {
    const calls: PortCall[] = [];
    const store = fakePort<GcStore>('store', { preview: async () => ({ manifests: 1, blobs: 2, bytes: 3, uploads: 4 }) }, calls);
    const gc = new GarbageCollector(store, fakePort<StorageDriver>('storage', {}), async () => undefined, () => NOW);
    expect(await gc.preview(options)).toEqual({ manifests: 1, blobs: 2, bytes: 3, uploads: 4 });
    expect(calls).toEqual([['store.preview', new Date(NOW.getTime() - 60_000), new Date(NOW.getTime() - 24 * 3600_000), true]]);
  });
});
