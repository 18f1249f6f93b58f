import { Readable } from 'node:stream';
import type { AuditLog, UserRecord } from '@wharf/auth-core';
import { OciError } from '@wharf/oci-errors';
import { checkOrganizationName, DigestingStream } from '@wharf/oci-spec';
import { DomainError, NotFoundError, TooLargeError, TooManyRequestsError, ValidationError } from '@wharf/util';
import { formatBytes } from './archive-scan';
import { ImageImporter } from './image-importer';
import type { ArchiveStore, ImagePusher, ImportAccess, ImportQueue, ImportRecord, ImportStore } from './ports';

export interface UploadSettings {
  /** Files per request (10). */
  maxFiles: number;
  /** Bytes per file (2 GiB). */
  maxFileBytes: number;
  /** An account's files not yet imported, over all its requests (beyond: 429). */
  maxUnfinished: number;
}

/** The settings from the environment (WHARF_UPLOAD_MAX_FILE_BYTES, WHARF_UPLOAD_MAX_FILES, WHARF_UPLOAD_MAX_PENDING). */
export function uploadSettings(config: { uploadMaxFileBytes: number; uploadMaxFiles: number; uploadMaxPending: number }): UploadSettings {
  return { maxFiles: config.uploadMaxFiles, maxFileBytes: config.uploadMaxFileBytes, maxUnfinished: config.uploadMaxPending };
}

/** A receiving row not heard of for this long belongs to a request that died. */
const RECEIVING_WINDOW_SECONDS = 3600;
const ARCHIVE_NAME = /\.(tar|tar\.gz|tgz)$/i;

export interface ImportOut {
  id: string;
  organization: string;
  fileName: string;
  uploadedBy: string;
  status: ImportRecord['status'];
  phase: ImportRecord['phase'];
  bytesTotal: number | null;
  bytesDone: number;
  images: ImportRecord['images'];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export function importOut(r: ImportRecord): ImportOut {
  return {
    id: r.id,
    organization: r.organization,
    fileName: r.fileName,
    uploadedBy: r.username,
    status: r.status,
    phase: r.phase,
    bytesTotal: r.bytesTotal,
    bytesDone: r.bytesDone,
    images: r.images,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/** One upload request as its files arrive (the HTTP layer feeds it part by part). */
export class UploadBatch {
  private readonly ids: string[] = [];

  constructor(
    private readonly service: ImportService,
    readonly user: UserRecord,
    readonly organization: string,
    readonly batchId: string,
  ) {}

  get count(): number {
    return this.ids.length;
  }

  /** Stores one file as it arrives; a file over the limit fails the request (413) with nothing of it kept. */
  async addFile(fileName: string, body: Readable): Promise<void> {
    const s = this.service.settings;
    if (this.ids.length >= s.maxFiles) throw new TooLargeError(`at most ${s.maxFiles} files may be uploaded at once`, 'files');
    if (!ARCHIVE_NAME.test(fileName)) throw new ValidationError('files', `file "${fileName.slice(0, 200)}": only .tar and .tar.gz archives are accepted`);
    const id = this.service.newId();
    this.ids.push(id);
    await this.service.store.create({ id, batchId: this.batchId, organization: this.organization, fileName: fileName.slice(0, 255), userId: this.user.id, username: this.user.username });
    const limited = new DigestingStream(null, 0, s.maxFileBytes, () => new TooLargeError(`file "${fileName.slice(0, 200)}" is over the limit of ${formatBytes(s.maxFileBytes)}`, 'files'));
    try {
      const size = await this.service.archives.write(id, body.pipe(limited));
      await this.service.store.received(id, size);
    } catch (err) {
      await this.service.store.fail(id, `upload interrupted: ${err instanceof Error ? err.message : String(err)}`).catch(() => undefined);
      throw err;
    }
  }

  /** Every file arrived: queues the import of all of them (in order) and returns them. */
  async finish(clientAddress: string | null): Promise<ImportOut[]> {
    if (this.ids.length === 0) throw new ValidationError('files', 'no file was uploaded (field "files")');
    try {
      await this.service.queue.enqueue(this.batchId);
    } catch (err) {
      for (const id of this.ids) await this.service.store.fail(id, 'could not be queued for import');
      throw err;
    }
    const rows = await this.service.store.batch(this.batchId);
    await this.service.audit.record({
      actor: this.user.username,
      accountId: this.user.accountId,
      action: 'image.upload',
      resource: this.organization,
      result: 'success',
      clientAddress,
      detail: { uploads: rows.map((r) => ({ id: r.id, fileName: r.fileName, size: r.bytesTotal })) },
    });
    return rows.map(importOut);
  }

  /** The request failed or the client left: its files are marked failed and their bytes removed. */
  async abort(reason: string): Promise<void> {
    for (const id of this.ids) {
      await this.service.store.fail(id, reason).catch(() => undefined);
      await this.service.archives.remove(id).catch(() => undefined);
    }
  }
}

/**
 * Page upload (SPEC §6): the API receives `docker save` and OCI archives into an organization
 * (stored as they arrive, then queued), the `imports` worker imports them one file after another
 * with the uploader's push permissions, and everyone involved reads the progress.
 */
export class ImportService {
  constructor(
    readonly store: ImportStore,
    readonly queue: ImportQueue,
    readonly archives: ArchiveStore,
    private readonly access: ImportAccess,
    readonly audit: AuditLog,
    readonly settings: UploadSettings,
    readonly newId: () => string,
  ) {}

  /**
   * Checks a request before its body is read: the organization, the uploader's permission, the
   * declared size, and how many of the account's files are still unfinished.
   */
  async begin(user: UserRecord, organization: string, declaredBytes: number | null): Promise<UploadBatch> {
    const problem = checkOrganizationName(organization);
    if (problem) throw new ValidationError('org', problem);
    const max = this.settings.maxFiles * this.settings.maxFileBytes + 1024 * 1024;
    if (declaredBytes !== null && declaredBytes > max) {
      throw new TooLargeError(`the request is ${declaredBytes} bytes; at most ${this.settings.maxFiles} files of ${formatBytes(this.settings.maxFileBytes)} may be uploaded at once`);
    }
    await this.access.requireUploader(user.id, organization);
    const unfinished = await this.store.unfinished(user.id, RECEIVING_WINDOW_SECONDS);
    if (unfinished >= this.settings.maxUnfinished) {
      throw new TooManyRequestsError(`${unfinished} files uploaded by your account are not imported yet (the limit is ${this.settings.maxUnfinished}); wait for them to finish`);
    }
    return new UploadBatch(this, user, organization, this.newId());
  }

  /** An upload as its uploader, a manager of its organization or an administrator sees it. */
  async get(user: UserRecord, id: string): Promise<ImportOut> {
    const row = await this.store.find(id);
    if (!row || (row.userId !== user.id && !user.isAdmin && !(await this.access.canManage(user.id, row.organization)))) {
      throw new NotFoundError(`upload ${id.slice(0, 40)} not found`);
    }
    return importOut(row);
  }

  /**
   * The worker's half: imports the request's files one after another. A file already finished
   * (a retried job) is skipped; a file that fails is marked failed with its reason and the next
   * one goes on. Only a fault of the infrastructure (storage, database) throws, so the job is retried.
   */
  async importBatch(batchId: string, importer: ImageImporter, pusherFor: (row: ImportRecord) => Promise<ImagePusher>): Promise<void> {
    for (const row of await this.store.batch(batchId)) {
      if (!(await this.store.start(row.id))) continue;
      let images;
      try {
        const pusher = await pusherFor(row);
        images = await importer.run((range) => this.archives.open(row.id, range), row.organization, pusher, (p) => void this.store.progress(row.id, p.phase, p.bytes).catch(() => undefined));
      } catch (err) {
        if (!isUserFault(err)) throw err;
        await this.store.fail(row.id, (err as Error).message);
        await this.record(row, 'failure', { error: (err as Error).message });
        await this.archives.remove(row.id).catch(() => undefined);
        continue;
      }
      await this.store.succeed(row.id, images);
      await this.record(row, 'success', { images });
      await this.archives.remove(row.id).catch(() => undefined);
    }
  }

  private record(row: ImportRecord, result: 'success' | 'failure', detail: Record<string, unknown>): Promise<void> {
    return this.audit.record({ actor: row.username, accountId: null, action: 'image.import', resource: `${row.organization}/${row.fileName}`, result, clientAddress: null, detail: { uploadId: row.id, ...detail } });
  }
}

/** A problem with the file or the uploader's rights (fail that file), not with the service (retry). */
function isUserFault(err: unknown): boolean {
  if (err instanceof DomainError) return true; // InvalidImageFormat, an uploader disabled since
  // Registry refusals as a push would get them: quota (DENIED), a blob or manifest the registry rejects.
  return err instanceof OciError && err.status < 500;
}
