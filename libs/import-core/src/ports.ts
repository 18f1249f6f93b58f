import type { Readable } from 'node:stream';

/** Ports of page upload (SPEC §6): upload history, the `imports` queue, archive bytes, pushes. */
export const IMPORT_STORE = Symbol('IMPORT_STORE');
export const IMPORT_QUEUE = Symbol('IMPORT_QUEUE');
export const IMPORT_ACCESS = Symbol('IMPORT_ACCESS');

export type ImportStatus = 'receiving' | 'queued' | 'importing' | 'succeeded' | 'failed';

export interface ImportedImage {
  repository: string;
  tags: string[];
  /** The digest the tags point at (a manifest, or an index for a multi-platform image). */
  digest: string;
}

/** An uploaded file as the API records it when its bytes start arriving. */
export interface NewImport {
  id: string;
  /** The files of one request share it; they are imported one after another. */
  batchId: string;
  organization: string;
  fileName: string;
  userId: string;
  username: string;
}

export interface ImportRecord extends NewImport {
  status: ImportStatus;
  phase: 'verifying' | 'storing' | null;
  /** Size of the uploaded file (null while it is still arriving). */
  bytesTotal: number | null;
  /** Bytes of the archive processed in the current phase. */
  bytesDone: number;
  images: ImportedImage[];
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ImportStore {
  /** A file starts arriving (status `receiving`). */
  create(row: NewImport): Promise<void>;
  /** receiving → queued, with its size. */
  received(id: string, size: number): Promise<void>;
  find(id: string): Promise<ImportRecord | null>;
  /** The batch's files in upload order. */
  batch(batchId: string): Promise<ImportRecord[]>;
  /**
   * Files of this user's account (all its users) not finished yet: queued or importing, or receiving and heard of within
   * `receivingWindowSeconds` (a receiving row older than that belongs to a request that died).
   */
  unfinished(userId: string, receivingWindowSeconds: number): Promise<number>;
  /** queued (or importing: a retried job) → importing, phase verifying; false when it is finished. */
  start(id: string): Promise<boolean>;
  progress(id: string, phase: 'verifying' | 'storing', bytesDone: number): Promise<void>;
  succeed(id: string, images: ImportedImage[]): Promise<void>;
  /** Any unfinished status → failed with `error`. */
  fail(id: string, error: string): Promise<void>;
}

export interface ImportQueue {
  /** One job per request: its files, imported in order (the job id is the batch id). */
  enqueue(batchId: string): Promise<void>;
}

/** Where uploaded archives wait for the worker: a storage driver path per file. */
export interface ArchiveStore {
  write(id: string, body: Readable): Promise<number>;
  /** The archive's bytes, or `length` bytes from `offset`. */
  open(id: string, range?: { offset: number; length: number }): Promise<Readable>;
  remove(id: string): Promise<void>;
}

export interface StoredBlob {
  digest: string;
  size: number;
}

/**
 * A push into the registry as one user (the uploader): their permissions, the organization's
 * quota, the registry's verification. The worker's adapter over registry-core.
 */
export interface ImagePusher {
  /** Null when the user may push to `repository`, else the reason they may not. */
  checkPush(repository: string): Promise<string | null>;
  /** Stores a blob; with `expected` its digest and size are verified, without they are computed. */
  uploadBlob(repository: string, body: Readable, expected: StoredBlob | null): Promise<StoredBlob>;
  /** Links a blob `from` has into `repository`. */
  mountBlob(repository: string, digest: string, from: string): Promise<void>;
  /** Stores a manifest by digest (tag null) or under a tag; returns its digest. */
  putManifest(repository: string, tag: string | null, mediaType: string, body: Buffer): Promise<string>;
}

/** The management API's permission questions about uploads. */
export interface ImportAccess {
  /** Throws NotFound (or Forbidden) unless `userId` may push into `organization`. */
  requireUploader(userId: string, organization: string): Promise<void>;
  /** Whether `userId` may see an upload of `organization` made by someone else (a manager of it, or an admin). */
  canManage(userId: string, organization: string): Promise<boolean>;
}
