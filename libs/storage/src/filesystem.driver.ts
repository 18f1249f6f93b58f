import { randomUUID } from 'node:crypto';
import { constants, createWriteStream, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { forEachLimit } from '@wharf/util';
import { BufferPool } from './buffer-pool';
import { DirectIo } from './direct-io';
import {
  checkPath,
  FileInfo,
  InvalidOffsetError,
  PathNotFoundError,
  StorageDriver,
  StorageFullError,
  WriteOptions,
} from '@wharf/storage-api';

export interface FilesystemDriverOptions {
  rootDirectory: string;
  /** fsync files before a write resolves (durability); off only for throwaway test data. */
  fsync: boolean;
  /** Write large bodies with O_DIRECT where the filesystem allows it (see DirectIo). Default true. */
  directIo?: boolean;
}

const CHUNK = 1 << 20;
/**
 * Blob reads go to sockets in 512 KiB pieces from pooled buffers (two per read in flight): no
 * fresh allocation per request, and at most 8 MiB kept idle after a burst of parallel pulls.
 */
const READ_CHUNK = 512 * 1024;
const readBuffers = new BufferPool(READ_CHUNK, 16);

/** Blob and upload bytes are readable by the service's user only (0600 files in 0700 directories). */
const PRIVATE_DIR = { recursive: true, mode: 0o700 } as const;
const PRIVATE_FILE = 0o600;

/**
 * Files under `<root>/files`; replacing writes go to `<root>/.partial` first and are renamed into
 * place, so a reader never sees a half-written file and a crash leaves only partial scraps.
 */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  private readonly files: string;
  private readonly partial: string;
  private readonly direct: DirectIo | null;

  constructor(private readonly options: FilesystemDriverOptions) {
    this.files = join(options.rootDirectory, 'files');
    this.partial = join(options.rootDirectory, '.partial');
    this.direct = options.directIo === false ? null : new DirectIo(join(options.rootDirectory, '.direct-io-probe'));
  }

  private full(path: string): string {
    checkPath(path);
    return join(this.files, path);
  }

  async stat(path: string): Promise<FileInfo | null> {
    try {
      const s = await fsp.stat(this.full(path));
      return { path, size: s.isDirectory() ? 0 : s.size, modified: s.mtime, isDirectory: s.isDirectory() };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async getContent(path: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.full(path));
    } catch (err) {
      throw isNotFound(err) ? new PathNotFoundError(path) : err;
    }
  }

  async putContent(path: string, content: Buffer): Promise<void> {
    await this.write(path, Readable.from([content]));
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.full(path), 'r');
    } catch (err) {
      throw isNotFound(err) || isDirectoryError(err) ? new PathNotFoundError(path) : err;
    }
    const info = await handle.stat();
    if (info.isDirectory()) {
      await handle.close();
      throw new PathNotFoundError(path);
    }
    const size = info.size;
    if (offset < 0 || offset > size) {
      await handle.close();
      throw new InvalidOffsetError(path, offset);
    }
    const end = length === undefined ? undefined : offset + length - 1;
    if (end !== undefined && end < offset) {
      await handle.close();
      return Readable.from([]);
    }
    // The stream owns the handle and closes it when done (never close an fd twice: it may be reused).
    return handle.createReadStream({ start: offset, end, highWaterMark: CHUNK, autoClose: true });
  }

  async copyTo(path: string, destination: NodeJS.WritableStream, offset = 0, length?: number): Promise<void> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.full(path), 'r');
    } catch (err) {
      throw isNotFound(err) || isDirectoryError(err) ? new PathNotFoundError(path) : err;
    }
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new PathNotFoundError(path);
      if (offset < 0 || offset > info.size) throw new InvalidOffsetError(path, offset);
      const end = Math.min(info.size, length === undefined ? info.size : offset + length);
      // Two buffers: one is being read into while the other is being written. A small blob needs one.
      const buffers = [await readBuffers.acquire(), end - offset > READ_CHUNK ? await readBuffers.acquire() : null];
      let inFlight: Promise<void> = Promise.resolve();
      try {
        for (let pos = offset, i = 0; pos < end; i++) {
          const buf = buffers[i % 2] as Buffer;
          const { bytesRead } = await handle.read(buf, 0, Math.min(READ_CHUNK, end - pos), pos);
          if (bytesRead === 0) break;
          await inFlight; // the other buffer's write is done before this one goes out (and before it is refilled)
          pos += bytesRead;
          inFlight = writeChunk(destination, buf.subarray(0, bytesRead));
          // Awaited on the next turn, but the client may go away while the next read runs: a
          // rejection with no handler attached yet would be an unhandled rejection (process exit).
          inFlight.catch(() => undefined);
        }
        await inFlight;
      } finally {
        // A write that failed may still reference its buffer inside the socket: only reuse on success.
        await inFlight.then(
          () => buffers.forEach((b) => readBuffers.release(b)),
          () => undefined,
        );
      }
    } finally {
      await handle.close();
    }
  }

  async write(path: string, source: Readable, options: WriteOptions = {}): Promise<number> {
    try {
      return await this.writeOrThrow(path, source, options);
    } catch (err) {
      throw isNoSpace(err) ? new StorageFullError(path) : err;
    }
  }

  private async writeOrThrow(path: string, source: Readable, options: WriteOptions): Promise<number> {
    const target = this.full(path);
    await fsp.mkdir(dirname(target), PRIVATE_DIR);
    const flush = this.options.fsync && options.durable !== false;
    if (options.append) return this.append(target, source, flush);
    await fsp.mkdir(this.partial, PRIVATE_DIR);
    const temp = join(this.partial, randomUUID());
    try {
      const size = await this.writeFile(temp, source, flush, null);
      await fsp.rename(temp, target);
      return size;
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
  }

  private async append(target: string, source: Readable, flush: boolean): Promise<number> {
    const before = await fsp.stat(target).then(
      (s) => s.size,
      () => -1,
    );
    const start = Math.max(before, 0);
    try {
      return start + (await this.writeFile(target, source, flush, start));
    } catch (err) {
      // All or nothing: roll the file back to where this append started.
      if (before < 0) await fsp.rm(target, { force: true });
      else await fsp.truncate(target, before);
      throw err;
    }
  }

  /** Writes `source` to `file`: a new file when `at` is null, else from byte `at` of the existing one. */
  private async writeFile(file: string, source: Readable, flush: boolean, at: number | null): Promise<number> {
    if (!this.direct || !(await this.direct.available())) {
      const out = createWriteStream(file, { flags: at === null ? 'w' : 'a', highWaterMark: CHUNK, flush, mode: PRIVATE_FILE });
      await pipeline(source, out);
      return out.bytesWritten;
    }
    const handle = await fsp.open(file, at === null ? 'w' : constants.O_WRONLY | constants.O_CREAT, PRIVATE_FILE);
    try {
      const written = await this.direct.writeAt(file, handle, at ?? 0, source);
      if (flush) await handle.sync();
      return written;
    } finally {
      await handle.close();
    }
  }

  async list(path: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.full(path));
    } catch (err) {
      throw isNotFound(err) || isNotDirectory(err) ? new PathNotFoundError(path) : err;
    }
    const base = path === '/' ? '' : path;
    return names.sort().map((n) => `${base}/${n}`);
  }

  async move(source: string, dest: string): Promise<void> {
    const from = this.full(source);
    const to = this.full(dest);
    try {
      await fsp.mkdir(dirname(to), PRIVATE_DIR);
      // Durable before visible: the data reaches the disk once, here, however it was written.
      if (this.options.fsync) await syncPath(from);
      await fsp.rename(from, to);
      if (this.options.fsync) await syncPath(dirname(to));
    } catch (err) {
      throw isNotFound(err) ? new PathNotFoundError(source) : isNoSpace(err) ? new StorageFullError(dest) : err;
    }
  }

  async delete(path: string): Promise<void> {
    const target = this.full(path);
    if (path === '/') throw new PathNotFoundError(path);
    try {
      await fsp.lstat(target);
    } catch (err) {
      throw isNotFound(err) ? new PathNotFoundError(path) : err;
    }
    await fsp.rm(target, { recursive: true, force: true });
  }

  /** Unlinks in parallel (32 at a time), then removes each file's parent when that left it empty. */
  async deleteMany(paths: string[]): Promise<void> {
    const targets = paths.map((p) => this.full(p));
    await forEachLimit(targets, 32, async (target) => {
      try {
        await fsp.unlink(target);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await fsp.rmdir(dirname(target)).catch(() => undefined); // not empty, or already gone: fine
    });
  }

  /** Files are served by the registry itself: there is nothing to redirect to. */
  async redirectUrl(): Promise<string | null> {
    return null;
  }
}

/** Writes a chunk and resolves when the destination is done with it (and ready for more). */
function writeChunk(destination: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    destination.once('error', onError);
    destination.write(chunk, (err) => {
      destination.removeListener('error', onError);
      if (err) reject(err);
      else resolve();
    });
  });
}

async function syncPath(path: string): Promise<void> {
  const handle = await fsp.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
function isNotDirectory(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOTDIR';
}
function isDirectoryError(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'EISDIR';
}
