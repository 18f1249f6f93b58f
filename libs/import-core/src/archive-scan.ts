import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import { InvalidImageFormat } from './import-errors';
import { readTar } from './tar-reader';

export const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

export interface ArchiveLimits {
  /** The tar stream (after decompressing a `.tar.gz`) may hold at most this many bytes (2 GiB). */
  maxBytes: number;
  /** Compressed layers inside may decompress to at most this many bytes in all (a decompression bomb stops here). */
  maxInnerBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = archiveLimits(2 * GiB);

/** The limits for archives of at most `maxFileBytes`: as much after decompression, layers inside four times that. */
export function archiveLimits(maxFileBytes: number): ArchiveLimits {
  return { maxBytes: maxFileBytes, maxInnerBytes: 4 * maxFileBytes };
}

/** `2 GiB`, `512 MiB`, `1000 bytes`: limits as people write them. */
export function formatBytes(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  return `${n} bytes`;
}

/** `manifest.json`, `index.json`, `repositories` and `oci-layout` are small; over this they are refused. */
export const MAX_TOP_METADATA = MiB;
/** Other JSON members (configs, OCI manifests and indexes) kept in memory for planning. */
const MAX_JSON_MEMBER = 4 * MiB;
const MAX_JSON_TOTAL = 64 * MiB;
const TOP_METADATA = new Set(['manifest.json', 'index.json', 'repositories', 'oci-layout']);

export type Compression = 'gzip' | 'zstd' | null;

/** A regular file of the archive as the first pass saw it. */
export interface ArchiveFile {
  name: string;
  size: number;
  /** `sha256:<hex>` of its bytes as stored in the archive. */
  digest: string;
  compression: Compression;
  /** `sha256:<hex>` of its uncompressed bytes (the layer's diff_id); null for zstd, which is not checked. */
  diffId: string | null;
  /** Where its data starts in the tar stream. */
  offset: number;
  /** Its bytes when it looks like JSON and is small (configs, manifests); null otherwise. */
  json: Buffer | null;
}

/** What the first pass learnt: every file with its digests, and the links between names. */
export class ArchiveIndex {
  constructor(
    readonly files: Map<string, ArchiveFile>,
    readonly links: Map<string, string>,
    readonly gzipped: boolean,
  ) {}

  /** The file a name denotes, following links inside the archive; null when it has none. */
  resolve(rawName: string): ArchiveFile | null {
    let name = normalizeName(rawName);
    for (let hops = 0; hops < 16; hops++) {
      const file = this.files.get(name);
      if (file) return file;
      const target = this.links.get(name);
      if (target === undefined) return null;
      name = target;
    }
    throw new InvalidImageFormat(`links in the archive form a loop at "${rawName.slice(0, 200)}"`);
  }
}

/** An entry name made relative and canonical; throws when it is absolute or climbs out with `..`. */
export function normalizeName(raw: string): string {
  const shown = raw.slice(0, 200);
  if (raw.includes('\0')) throw new InvalidImageFormat(`entry name "${shown}" contains a NUL byte`);
  if (raw.startsWith('/')) throw new InvalidImageFormat(`entry "${shown}" has an absolute path`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new InvalidImageFormat(`entry "${shown}" escapes the archive (it contains "..")`);
  return parts.join('/');
}

/** Where a link points, as an archive name; throws when it points outside the archive. */
function linkTarget(name: string, linkname: string, symbolic: boolean): string {
  const shown = `${symbolic ? 'symlink' : 'hard link'} "${name.slice(0, 200)}" points outside the archive ("${linkname.slice(0, 200)}")`;
  if (linkname.startsWith('/') || linkname === '') throw new InvalidImageFormat(shown);
  // A symlink is relative to its own directory, a hard link to the archive's root.
  const joined = posix.normalize(symbolic ? posix.join(posix.dirname(name), linkname) : linkname);
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/')) throw new InvalidImageFormat(shown);
  return normalizeName(joined);
}

function compressionOf(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return null;
}

function looksLikeJson(head: Buffer): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b; // { or [
  }
  return false;
}

/**
 * The tar stream of an uploaded file: as it is, or decompressed when it is gzip (told by its
 * magic bytes, not its name), counted against `maxBytes`. Corrupt or truncated gzip and an
 * overflow throw InvalidImageFormat.
 */
export async function* tarStream(source: AsyncIterable<Buffer>, limits: ArchiveLimits, gz?: { gzipped: boolean }): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new InvalidImageFormat('not a tar archive (the file is empty)');
  const head = first.value as Buffer;
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  }
  const over = () => new InvalidImageFormat(`the archive holds more than ${formatBytes(limits.maxBytes)} after decompression (the limit)`);
  if (compressionOf(head) !== 'gzip') {
    let total = 0;
    for await (const chunk of all()) {
      total += chunk.length;
      if (total > limits.maxBytes) throw over();
      yield chunk;
    }
    return;
  }
  if (gz) gz.gzipped = true;
  let total = 0;
  for await (const chunk of gunzipChunks(all(), 'the archive')) {
    total += chunk.length;
    if (total > limits.maxBytes) throw over();
    yield chunk;
  }
}

/** Decompresses gzip chunks as an async iteration (backpressure kept); zlib errors name `what`. */
async function* gunzipChunks(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const feeding = (async () => {
    try {
      for await (const chunk of source) {
        if (!gunzip.write(chunk)) {
          await new Promise<void>((resolve) => {
            gunzip.once('drain', resolve);
            gunzip.once('close', resolve);
          });
        }
        if (gunzip.destroyed) return;
      }
      gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
    }
  })();
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || /unexpected end of file/i.test((err as Error).message)) {
      throw new InvalidImageFormat(`${what} is not valid gzip (${(err as Error).message}; truncated or corrupt)`);
    }
    throw err;
  } finally {
    // Stopped early (an error, or the consumer left): the feeder may wait on a source that never
    // ends; it holds nothing that needs releasing and settles on its own.
    gunzip.destroy();
    void feeding;
  }
}

/**
 * The first pass over an archive: every member checked (no absolute or `..` names, no link
 * pointing out, no duplicate, no device or fifo), every file hashed (and its diff_id computed
 * when it is gzip), small JSON members kept. Nothing is stored. Throws InvalidImageFormat.
 */
export async function scanArchive(source: AsyncIterable<Buffer>, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ArchiveIndex> {
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, string>();
  const gz = { gzipped: false };
  let jsonBytes = 0;
  let innerBytes = 0;
  for await (const { entry, body } of readTar(tarStream(source, limits, gz))) {
    if (entry.type === 'directory') continue;
    const name = normalizeName(entry.name);
    if (name === '') throw new InvalidImageFormat(`entry "${entry.name.slice(0, 200)}" has no name`);
    if (files.has(name) || links.has(name)) throw new InvalidImageFormat(`duplicate entry "${name.slice(0, 200)}"`);
    if (entry.type === 'symlink' || entry.type === 'hardlink') {
      links.set(name, linkTarget(name, entry.linkname, entry.type === 'symlink'));
      continue;
    }
    if (entry.type === 'other') throw new InvalidImageFormat(`entry "${name.slice(0, 200)}" is not a file, directory or link (tar type "${entry.typeflag}")`);
    if (TOP_METADATA.has(name) && entry.size > MAX_TOP_METADATA) {
      throw new InvalidImageFormat(`${name} is ${entry.size} bytes; the limit is 1 MiB`);
    }
    const hash = createHash('sha256');
    let head: Buffer | null = null;
    let json: Buffer[] | null = null;
    let inner: AsyncGenerator<Buffer> | null = null;
    let innerHash: ReturnType<typeof createHash> | null = null;
    let feed: ((chunk: Buffer | null) => Promise<void>) | null = null;
    let innerDone: Promise<void> | null = null;
    for await (const chunk of body) {
      if (head === null) {
        head = chunk.subarray(0, 8);
        if (entry.size <= MAX_JSON_MEMBER && looksLikeJson(chunk)) {
          jsonBytes += entry.size;
          if (jsonBytes > MAX_JSON_TOTAL) throw new InvalidImageFormat('the archive holds more than 64 MiB of JSON metadata');
          json = [];
        } else if (compressionOf(chunk) === 'gzip') {
          ({ inner, feed } = pushSource());
          innerHash = createHash('sha256');
          const h = innerHash;
          const it = gunzipChunks(inner, `layer ${name.slice(0, 200)}`);
          innerDone = (async () => {
            for await (const out of it) {
              innerBytes += out.length;
              if (innerBytes > limits.maxInnerBytes) {
                throw new InvalidImageFormat(`the layers decompress to more than ${formatBytes(limits.maxInnerBytes)} (the limit; a decompression bomb?) at ${name.slice(0, 200)}`);
              }
              h.update(out);
            }
          })();
          innerDone.catch(() => undefined);
        }
      }
      hash.update(chunk);
      json?.push(chunk);
      if (feed) await feedWithBackpressure(feed, chunk, innerDone as Promise<void>);
    }
    if (feed) {
      void feed(null);
      await innerDone;
    }
    const digest = `sha256:${hash.digest('hex')}`;
    const compression = head ? compressionOf(head) : null;
    files.set(name, {
      name,
      size: entry.size,
      digest,
      compression,
      diffId: compression === null ? digest : innerHash ? `sha256:${innerHash.digest('hex')}` : null,
      offset: entry.offset,
      json: json ? Buffer.concat(json) : null,
    });
  }
  return new ArchiveIndex(files, links, gz.gzipped);
}

type Waiter = { chunk: Buffer | null; taken: () => void };

/**
 * A push-fed async source with a one-chunk hand-off: `feed` resolves when the consumer took the
 * chunk, so the reader never runs ahead of the decompressor.
 */
function pushSource(): { inner: AsyncGenerator<Buffer>; feed: (chunk: Buffer | null) => Promise<void> } {
  const queue: Waiter[] = [];
  let wake: (() => void) | null = null;
  async function* inner(): AsyncGenerator<Buffer> {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const w = queue.shift() as Waiter;
      w.taken();
      if (w.chunk === null) return;
      yield w.chunk;
    }
  }
  const feed = (chunk: Buffer | null) =>
    new Promise<void>((taken) => {
      queue.push({ chunk, taken });
      const w = wake;
      wake = null;
      w?.();
    });
  return { inner: inner(), feed };
}

/** Hands a chunk to the decompressor, failing fast if the decompression already failed. */
async function feedWithBackpressure(feed: (chunk: Buffer) => Promise<void>, chunk: Buffer, done: Promise<void>): Promise<void> {
  await Promise.race([feed(chunk), done]);
}
