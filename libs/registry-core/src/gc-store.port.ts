/**
 * What the garbage collector needs from the registry's database. The Postgres implementation is
 * `PgGcStore` in `@wharf/database`, tested against a real Postgres with pushes running.
 *
 * The locking protocol that makes collection safe while pushes run (each side's half):
 * - A blob's bytes are deleted only while the collector holds its row `FOR UPDATE`, after it
 *   re-checked, under that lock and with a fresh snapshot, that no manifest references it and that
 *   it was last linked before the grace cut-off; it then marks the row `deleting` and commits,
 *   deletes the bytes holding the lock again, and deletes the row.
 * - An upload's commit (`RegistryStore.commitBlob`) locks the row `FOR UPDATE` (or inserts it)
 *   before it moves bytes into place, and sets it back to `none`; a mount updates it the same way
 *   unless it is `deleting`; a manifest PUT share-locks the rows of every blob it references and
 *   stores nothing when one is missing or `deleting`.
 * - Manifests are deleted under their row lock after the same fresh-snapshot re-check (no tag,
 *   no parent index, subject gone), so a tag that lands meanwhile keeps its manifest.
 * A collector killed at any point leaves rows `candidate` (harmless: re-checked next time) or
 * `deleting` (finished by the next run; a commit of that digest re-uploads the bytes).
 */
export const GC_STORE = Symbol('GC_STORE');

export interface GcBlob {
  digest: string;
  size: number;
}

export interface GcManifest {
  repository: string;
  digest: string;
}

/** What a run would remove (a dry run), counted from the database as it is now. */
export interface GcPreview {
  manifests: number;
  blobs: number;
  bytes: number;
  uploads: number;
}

export interface GcStore {
  /**
   * Deletes up to `limit` upload sessions with no activity since `idleSince` and returns their
   * ids (their bytes are the caller's to delete).
   */
  expireUploads(idleSince: Date, limit: number): Promise<string[]>;
  /** Of these upload ids, those that have a session. */
  liveUploads(ids: string[]): Promise<Set<string>>;

  /**
   * Deletes up to `limit` manifests created before `createdBefore` that no tag points at, no
   * manifest of their repository lists as a child, and whose subject (if any) is not in their
   * repository; writes a `manifest.deleted` event each. Returns what it deleted.
   */
  deleteUntaggedManifests(createdBefore: Date, limit: number): Promise<GcManifest[]>;

  /** Marks `candidate` every blob in state `none` that no manifest references and that was last linked before `linkedBefore`. */
  markBlobs(linkedBefore: Date): Promise<number>;
  /**
   * Takes up to `limit` candidates (skipping rows locked by pushes), re-checks each under its
   * lock: still unreferenced and linked before `linkedBefore` → `deleting`; else back to `none`.
   * Returns how many candidates it looked at (0: none left).
   */
  claimCandidates(linkedBefore: Date, limit: number): Promise<number>;
  /**
   * Locks up to `limit` blobs in state `deleting`, calls `removeBytes` with them while holding
   * the locks, then deletes their rows and repository links. Returns the blobs and the
   * repositories that had them linked (their caches must forget them); empty when none are left.
   */
  finishDeletions(limit: number, removeBytes: (blobs: GcBlob[]) => Promise<void>): Promise<{ blobs: GcBlob[]; repositories: string[] }>;

  /** What a run with these cut-offs would remove, changing nothing. */
  preview(createdBefore: Date, idleSince: Date, deleteUntagged: boolean): Promise<GcPreview>;
}
