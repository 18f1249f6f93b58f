import { Readable } from 'node:stream';

/**
 * The one blob storage interface. Paths are driver-independent, absolute and slash-separated
 * (`/blobs/sha256/ab/abcd…/data`); see `checkPath` for the grammar. Every driver passes the
 * shared suite in `testing/driver-suite.ts`, which is the executable form of these contracts.
 */
export interface FileInfo {
  path: string;
  size: number;
  modified: Date;
  isDirectory: boolean;
}

export interface WriteOptions {
  /** Append after the existing content (creating the file when missing) instead of replacing it. */
  append?: boolean;
  /**
   * False: the bytes may still be in an OS cache when the write resolves (cheaper for data that
   * is only made visible later by `move`, which always makes what it moves durable). Default true.
   */
  durable?: boolean;
}

export interface RedirectOptions {
  expiresInSeconds: number;
}

export interface StorageDriver {
  readonly name: string;

  /** Metadata of the file (or directory) at `path`, or null when nothing is there. */
  stat(path: string): Promise<FileInfo | null>;

  /** The whole content of a small file. Throws PathNotFoundError when missing. */
  getContent(path: string): Promise<Buffer>;

  /** Replaces the content of `path` atomically: readers see the old or the new bytes, never a mix. */
  putContent(path: string, content: Buffer): Promise<void>;

  /**
   * Streams the file from `offset` (default 0), at most `length` bytes when given. Never buffers
   * the whole file. Throws PathNotFoundError when missing, InvalidOffsetError when offset > size.
   */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;

  /**
   * Writes the file (from `offset`, at most `length` bytes) into `destination`, honouring its
   * backpressure, and resolves once the last byte was accepted. Unlike `reader` it may reuse its
   * read buffers (a buffer is refilled only after `destination` acknowledged writing it), so a
   * large pull makes no garbage. Does not end `destination`. Errors as `reader` does.
   */
  copyTo(path: string, destination: NodeJS.WritableStream, offset?: number, length?: number): Promise<void>;

  /**
   * Consumes `source` into `path` and resolves with the file's new total size once the bytes are
   * durable. All or nothing: when the source errors or ends early, the file is as it was before
   * the call (absent, or with its old content/length). Without `append` the new content replaces
   * the old atomically; with `append` it is added after the existing bytes.
   */
  write(path: string, source: Readable, options?: WriteOptions): Promise<number>;

  /** Paths of the direct children of directory `path`, sorted. Throws PathNotFoundError when absent. */
  list(path: string): Promise<string[]>;

  /**
   * Moves a file, replacing `dest` when present; when it resolves the moved bytes are durable at
   * `dest`. Throws PathNotFoundError when `source` is missing.
   */
  move(source: string, dest: string): Promise<void>;

  /** Removes the file or the whole directory tree at `path`. Throws PathNotFoundError when absent. */
  delete(path: string): Promise<void>;

  /**
   * Removes many files at once (garbage collection): each path names a file that was written
   * whole (`write` without `append`, `putContent` or `move`); a path that is already gone is not
   * an error. A directory left empty by the removal goes too (the file's own parent only: shared
   * fan-out directories stay, so a concurrent `move` into a sibling never loses its directory).
   * Resolves when every file is gone; rejects on the first failure (the rest may or may not be gone).
   */
  deleteMany(paths: string[]): Promise<void>;

  /** A time-limited URL a client can GET the file from directly, or null when the driver has none. */
  redirectUrl(path: string, options: RedirectOptions): Promise<string | null>;
}

export class StorageError extends Error {}

export class PathNotFoundError extends StorageError {
  constructor(readonly path: string) {
    super(`path not found: ${path}`);
    this.name = 'PathNotFoundError';
  }
}

export class InvalidPathError extends StorageError {
  constructor(readonly path: string, reason: string) {
    super(`invalid storage path "${path.slice(0, 200)}": ${reason}`);
    this.name = 'InvalidPathError';
  }
}

/** The storage has no room (a full disk or quota): the write stored nothing. */
export class StorageFullError extends StorageError {
  constructor(readonly path: string) {
    super(`no space left in storage while writing ${path}`);
    this.name = 'StorageFullError';
  }
}

export class InvalidOffsetError extends StorageError {
  constructor(readonly path: string, readonly offset: number) {
    super(`invalid offset ${offset} for ${path}`);
    this.name = 'InvalidOffsetError';
  }
}

const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Drivers may keep internal objects under names ending in this (see the S3 driver's segments). */
export const RESERVED_SUFFIX = '.__seg';

/**
 * Throws InvalidPathError unless `path` is `/`-rooted, has no empty, `.` or `..` components, no
 * trailing slash, and only `[A-Za-z0-9._-]` characters (components start alphanumeric, so a path
 * can never name a driver's own hidden state, which starts with `.` or `_`).
 */
export function checkPath(path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidPathError(String(path), 'must start with /');
  if (path.length > 1024) throw new InvalidPathError(path, 'longer than 1024 characters');
  if (path === '/') return;
  for (const component of path.slice(1).split('/')) {
    if (component === '') throw new InvalidPathError(path, 'empty path component');
    if (!COMPONENT.test(component)) throw new InvalidPathError(path, `component "${component}" is not allowed`);
    if (component.endsWith(RESERVED_SUFFIX)) throw new InvalidPathError(path, `"${RESERVED_SUFFIX}" is reserved`);
  }
}
