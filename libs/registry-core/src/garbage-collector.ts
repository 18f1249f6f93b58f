import { parseDigest } from '@wharf/oci-spec';
import { PathNotFoundError, StorageDriver } from '@wharf/storage-api';
import { forEachLimit } from '@wharf/util';
import { GcPreview, GcStore } from './gc-store.port';
import { StorageLayout } from './storage-layout';

export interface GcOptions {
  /** Nothing linked, pushed or active more recently than this is touched (uploads in flight, manifests being pushed). */
  graceSeconds: number;
  /** Upload sessions idle for longer than this are abandoned. */
  uploadTtlHours: number;
  /** False: manifests no tag, index or subject keeps are garbage too. */
  keepUntagged: boolean;
}

export interface GcReport {
  manifestsRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
  uploadsRemoved: number;
  /** Problems that did not stop the run (an upload directory that could not be deleted). */
  errors: string[];
}

/** Told the repositories whose cached manifests or blobs a run removed (every registry replica must forget them). */
export type ForgetRepositories = (repositories: string[]) => Promise<void>;

const BATCH = 1000;
/** A manifest deletion can make its children garbage; this many passes reach any real nesting depth. */
const MANIFEST_PASSES = 8;

/**
 * Online mark and sweep over the registry's tables and storage (the protocol is in
 * `gc-store.port.ts`). Order: abandoned uploads, garbage manifests (which may free blobs), then
 * blobs: leftovers of an interrupted run first, then a mark and claimed batches of 1,000, each
 * deleted from storage in one batch call. Safe to run while pushes and pulls go on, and to kill
 * at any point; one run at a time (the caller's lock).
 */
export class GarbageCollector {
  constructor(
    private readonly store: GcStore,
    private readonly storage: StorageDriver,
    private readonly forget: ForgetRepositories,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** What `collect` would remove now, changing nothing. */
  preview(options: GcOptions): Promise<GcPreview> {
    const { graceCutoff, uploadCutoff } = this.cutoffs(options);
    return this.store.preview(graceCutoff, uploadCutoff, !options.keepUntagged);
  }

  async collect(options: GcOptions, onProgress: (report: GcReport) => Promise<void> = async () => undefined): Promise<GcReport> {
    const { graceCutoff, uploadCutoff } = this.cutoffs(options);
    const report: GcReport = { manifestsRemoved: 0, blobsRemoved: 0, bytesFreed: 0, uploadsRemoved: 0, errors: [] };

    report.uploadsRemoved += await this.expireUploads(uploadCutoff, report);
    report.uploadsRemoved += await this.removeOrphanUploads(graceCutoff, report);
    await onProgress(report);

    if (!options.keepUntagged) {
      for (let pass = 0; pass < MANIFEST_PASSES; pass++) {
        let removedThisPass = 0;
        for (;;) {
          const gone = await this.store.deleteUntaggedManifests(graceCutoff, BATCH);
          if (gone.length === 0) break;
          removedThisPass += gone.length;
          await this.forget([...new Set(gone.map((m) => m.repository))]);
        }
        report.manifestsRemoved += removedThisPass;
        if (removedThisPass === 0) break;
      }
      await onProgress(report);
    }

    await this.sweep(report); // an interrupted run's `deleting` rows first
    await this.store.markBlobs(graceCutoff);
    while ((await this.store.claimCandidates(graceCutoff, BATCH)) > 0) {
      await this.sweep(report);
      await onProgress(report);
    }
    return report;
  }

  private cutoffs(options: GcOptions): { graceCutoff: Date; uploadCutoff: Date } {
    const now = this.now().getTime();
    return {
      graceCutoff: new Date(now - options.graceSeconds * 1000),
      uploadCutoff: new Date(now - Math.max(options.uploadTtlHours * 3600, options.graceSeconds) * 1000),
    };
  }

  /** Deletes every blob in state `deleting`: bytes first (under the row locks), then rows. */
  private async sweep(report: GcReport): Promise<void> {
    for (;;) {
      const { blobs, repositories } = await this.store.finishDeletions(BATCH, async (batch) => {
        const paths = batch.flatMap((b) => {
          const parsed = parseDigest(b.digest);
          return parsed.ok ? [StorageLayout.blob(parsed.value)] : [];
        });
        await this.storage.deleteMany(paths);
      });
      if (blobs.length === 0) return;
      report.blobsRemoved += blobs.length;
      report.bytesFreed += blobs.reduce((n, b) => n + b.size, 0);
      if (repositories.length > 0) await this.forget(repositories);
    }
  }

  private async expireUploads(idleSince: Date, report: GcReport): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = await this.store.expireUploads(idleSince, BATCH);
      if (ids.length === 0) return removed;
      removed += ids.length;
      await this.deleteUploadDirs(ids, report);
    }
  }

  /** Upload directories without a session (their repository was deleted, or a crash came between): older than the grace window. */
  private async removeOrphanUploads(graceCutoff: Date, report: GcReport): Promise<number> {
    let entries: string[];
    try {
      entries = await this.storage.list('/uploads');
    } catch (err) {
      if (err instanceof PathNotFoundError) return 0;
      throw err;
    }
    let removed = 0;
    for (let i = 0; i < entries.length; i += BATCH) {
      const ids = entries.slice(i, i + BATCH).map((p) => p.slice(p.lastIndexOf('/') + 1));
      const live = await this.store.liveUploads(ids);
      const orphans: string[] = [];
      await forEachLimit(
        ids.filter((id) => !live.has(id)),
        16,
        async (id) => {
          // Aged by its bytes (the last append); a directory without them by the directory.
          const info = (await this.storage.stat(StorageLayout.upload(id))) ?? (await this.storage.stat(StorageLayout.uploadDir(id)));
          if (info && info.modified < graceCutoff) orphans.push(id);
        },
      );
      removed += orphans.length;
      await this.deleteUploadDirs(orphans, report);
    }
    return removed;
  }

  private async deleteUploadDirs(ids: string[], report: GcReport): Promise<void> {
    await forEachLimit(ids, 16, async (id) => {
      await this.storage.delete(StorageLayout.uploadDir(id)).catch((err) => {
        if (!(err instanceof PathNotFoundError)) report.errors.push(`upload ${id}: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
  }
}
