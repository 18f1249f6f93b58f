import { randomUUID } from 'node:crypto';
import type { WharfConfig } from '@wharf/config';
import { PgAccessStore, PgAuditLog, PgImportStore, PgRegistryStore, PgUserStore } from '@wharf/database';
import { archiveLimits, ImageImporter, ImportRecord, ImportService, StorageArchiveStore, uploadSettings } from '@wharf/import-core';
import type { Logger } from '@wharf/observability';
import { BullImportQueue, JobProcessor, JobQueues, notBuiltYet, UnrecoverableError, WorkerServiceSpec } from '@wharf/queues';
import { ManifestService, UploadService } from '@wharf/registry-core';
import { createStorageDriver } from '@wharf/storage';
import { ForbiddenError } from '@wharf/util';
import { RegistryImagePusher } from './registry-image.pusher';

/** Executes an `imports` job: the request's files, one after another (see ImportService.importBatch). */
export function importProcessor(service: ImportService, importer: ImageImporter, pusherFor: (row: ImportRecord) => Promise<RegistryImagePusher>, after: (repositories: string[]) => Promise<void>, logger: Logger): JobProcessor<'imports'> {
  return async (job) => {
    if ((await service.store.batch(job.batchId)).length === 0) throw new UnrecoverableError(`upload ${String(job.batchId).slice(0, 40)} has no files`);
    await service.importBatch(job.batchId, importer, pusherFor);
    const rows = await service.store.batch(job.batchId);
    const repositories = [...new Set(rows.flatMap((r) => r.images.map((i) => i.repository)))];
    if (repositories.length > 0) await after(repositories);
    logger.info({ batchId: job.batchId, files: rows.map((r) => ({ id: r.id, status: r.status, images: r.images.length })) }, 'upload imported');
  };
}

/** The worker only imports: receiving uploads and answering who may see them is the API's. */
const NO_UPLOADER_ACCESS = {
  requireUploader: () => Promise.reject(new Error('uploads are received by the API')),
  canManage: () => Promise.resolve(false),
};

/** The `builder` worker service: `imports` (page upload) and `builds` (build from Git, not built yet). */
export const builderWorker: WorkerServiceSpec = {
  name: 'builder',
  consume: (workers, logger, config: WharfConfig, context) => {
    const pool = context.pool;
    const storage = createStorageDriver(config);
    const store = new PgRegistryStore(pool);
    const limits = { maxLayerBytes: config.maxLayerBytes, maxManifestBytes: config.maxManifestBytes, redirectBlobs: false };
    const uploads = new UploadService(store, storage, limits, randomUUID);
    const manifests = new ManifestService(store, limits);
    const users = new PgUserStore(pool);
    const access = new PgAccessStore(pool);
    const queues = new JobQueues(config.redisUrl as string, config.redisTimeoutMs);
    const service = new ImportService(new PgImportStore(pool), new BullImportQueue(queues), new StorageArchiveStore(storage), NO_UPLOADER_ACCESS, new PgAuditLog(pool), uploadSettings(config), randomUUID);
    const pusherFor = async (row: ImportRecord) => {
      const user = await users.findUserById(row.userId);
      if (!user || !user.enabled) throw new ForbiddenError(`the uploader ${row.username} is disabled or no longer exists`);
      return new RegistryImagePusher(uploads, manifests, access, user);
    };
    // New tags must not wait for a registry replica's cache to age out.
    const forget = async (repositories: string[]) => {
      if (context.registryWriter) await context.registryWriter.forgetRepositories(repositories);
    };
    workers.start('imports', importProcessor(service, new ImageImporter(archiveLimits(config.uploadMaxFileBytes)), pusherFor, forget, logger), 1);
    workers.start('builds', notBuiltYet('build from Git'));
  },
};
