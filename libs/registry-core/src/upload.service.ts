import { createHash, Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { OciError } from '@wharf/oci-errors';
import { DigestingStream, ParsedDigest } from '@wharf/oci-spec';
import { PathNotFoundError, StorageDriver } from '@wharf/storage-api';
import { requireDigest } from './blob.service';
import { IdGenerator, RegistryLimits } from './ports';
import { BlobRecord, RegistryStore } from './registry-store.port';
import { StorageLayout } from './storage-layout';
import { UploadHashCache } from './upload-hash-cache';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ChunkInput {
  body: Readable;
  /** Declared Content-Length, when the client sent one. */
  contentLength: number | null;
  /** Raw Content-Range header, when present. */
  contentRange: string | undefined;
}

/**
 * Blob uploads (OCI "pushing blobs"): monolithic, POST+PUT, chunked PATCH, resumable status,
 * cancel, cross-repository mount. State lives in the store (session row) and in storage (bytes
 * so far), never in process memory, so any replica can take any request of an upload.
 * Contracts: a digest is verified before anything becomes visible; a failed chunk leaves the
 * upload exactly as it was; a blob's bytes are stored once per registry.
 */
export class UploadService {
  private readonly hashes = new UploadHashCache();

  constructor(
    private readonly store: RegistryStore,
    private readonly storage: StorageDriver,
    private readonly limits: RegistryLimits,
    private readonly newId: IdGenerator,
  ) {}

  async start(repository: string): Promise<string> {
    const id = this.newId();
    await this.store.createUpload(id, repository);
    return id;
  }

  /** Current size of the upload (bytes received so far). */
  async status(repository: string, id: string): Promise<number> {
    await this.requireUpload(repository, id);
    return this.sizeOf(id);
  }

  /** Appends one chunk; with Content-Range it must start exactly at the current size. */
  async append(repository: string, id: string, chunk: ChunkInput): Promise<number> {
    await this.requireUpload(repository, id, true);
    return this.appendChunk(id, chunk);
  }

  private async appendChunk(id: string, chunk: ChunkInput): Promise<number> {
    const size = await this.sizeOf(id);
    const range = parseContentRange(chunk.contentRange);
    if (range && range.start !== size) {
      throw new OciError(
        'RANGE_INVALID',
        `chunk starts at byte ${range.start} but the upload has ${size} bytes; send the chunk starting at ${size}`,
        { expectedStart: size },
        { range: rangeHeader(size) },
      );
    }
    if (range && chunk.contentLength !== null && range.end - range.start + 1 !== chunk.contentLength) {
      throw new OciError('SIZE_INVALID', `Content-Range ${chunk.contentRange} does not match Content-Length ${chunk.contentLength}`);
    }
    this.checkLimit(size + (chunk.contentLength ?? 0));
    const newSize = await this.appendBytes(id, size, chunk.body);
    if (range && newSize - size !== range.end - range.start + 1) {
      // The body was shorter or longer than the declared range: keep the bytes (the upload stays
      // consistent: it is simply larger), but tell the client.
      throw new OciError('SIZE_INVALID', `received ${newSize - size} bytes for Content-Range ${chunk.contentRange}`, undefined, {
        range: rangeHeader(newSize),
      });
    }
    return newSize;
  }

  /** Completes an upload: appends an optional last chunk, verifies the digest, stores the blob. */
  async finish(repository: string, id: string, digest: string | null, last: ChunkInput | null): Promise<BlobRecord> {
    if (!digest) throw new OciError('DIGEST_INVALID', 'the digest query parameter is required to complete an upload');
    const expected = requireDigest(digest);
    const lastChunk = last && (last.contentLength === null || last.contentLength > 0) ? last : null;
    await this.requireUpload(repository, id, lastChunk !== null);
    const size = lastChunk ? await this.appendChunk(id, lastChunk) : await this.sizeOf(id);
    try {
      const actual = await this.digestOf(id, size, expected.algorithm);
      if (actual !== expected.hex) {
        throw new OciError('DIGEST_INVALID', `uploaded content has digest ${expected.algorithm}:${actual}, not ${digest}`, {
          expected: digest,
          actual: `${expected.algorithm}:${actual}`,
        });
      }
      const blob = await this.commit(repository, expected, StorageLayout.upload(id), size);
      return blob;
    } finally {
      await this.discard(id);
    }
  }

  /** POST with `?digest=` and the whole blob as body. */
  async monolithic(repository: string, digest: string, body: Readable, contentLength: number | null): Promise<BlobRecord> {
    return this.storeWhole(repository, requireDigest(digest), body, contentLength);
  }

  /**
   * A whole blob whose digest the caller does not know beforehand (page upload's layers, gzipped
   * as they stream in): sha256 of what arrives, stored and linked as a verified upload would be.
   */
  async computed(repository: string, body: Readable): Promise<BlobRecord> {
    return this.storeWhole(repository, null, body, null);
  }

  private async storeWhole(repository: string, expected: ParsedDigest | null, body: Readable, contentLength: number | null): Promise<BlobRecord> {
    this.checkLimit(contentLength ?? 0);
    const id = this.newId();
    const path = StorageLayout.upload(id);
    try {
      const hashing = this.meter(createHash(expected?.algorithm ?? 'sha256'), 0).from(body);
      // Not durable yet: `commit` moves the verified bytes into place durably (one sync per blob).
      const size = await this.storage.write(path, hashing, { durable: false });
      const actual = (hashing.takeHash() as Hash).digest('hex');
      if (contentLength !== null && size !== contentLength) {
        throw new OciError('SIZE_INVALID', `received ${size} bytes but Content-Length said ${contentLength}`);
      }
      if (expected && actual !== expected.hex) {
        throw new OciError('DIGEST_INVALID', `uploaded content has digest ${expected.algorithm}:${actual}, not ${expected.digest}`, {
          expected: expected.digest,
          actual: `${expected.algorithm}:${actual}`,
        });
      }
      const digest = expected ?? { algorithm: 'sha256' as const, hex: actual, digest: `sha256:${actual}` };
      return await this.commit(repository, digest, path, size);
    } finally {
      await this.storage.delete(StorageLayout.uploadDir(id)).catch(() => undefined);
    }
  }

  /** Links a blob another repository has; null when it cannot be mounted (caller starts an upload). */
  async mount(repository: string, digest: string, from: string): Promise<BlobRecord | null> {
    const parsed = requireDigest(digest);
    const blob = await this.store.findRepositoryBlob(from, parsed.digest);
    if (!blob) return null;
    await this.checkQuota(repository, blob);
    return (await this.store.linkBlob(repository, blob)) ? blob : null;
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.requireUpload(repository, id);
    await this.discard(id);
  }

  // ---- internals ------------------------------------------------------------------------------

  /** The upload must exist in this repository; `touch` also records activity (a chunk arrives). */
  private async requireUpload(repository: string, id: string, touch = false): Promise<void> {
    const unknown = () => new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 64)} is unknown to ${repository}`);
    if (!UUID_RE.test(id)) throw unknown();
    const upload = touch ? await this.store.touchUpload(id) : await this.store.findUpload(id);
    if (!upload || upload.repository !== repository) throw unknown();
  }

  private async sizeOf(id: string): Promise<number> {
    return (await this.storage.stat(StorageLayout.upload(id)))?.size ?? 0;
  }

  private async appendBytes(id: string, size: number, body: Readable): Promise<number> {
    const cached = this.hashes.take(id, size);
    const hash: Hash | null = cached ?? (size === 0 ? createHash('sha256') : null);
    const metered = this.meter(hash, size).from(body);
    const newSize = await this.storage.write(StorageLayout.upload(id), metered, { append: true, durable: false });
    if (hash) this.hashes.put(id, newSize, hash);
    return newSize;
  }

  /** Hex digest of the upload's bytes: from the running hash when this process has it, else re-read once. */
  private async digestOf(id: string, size: number, algorithm: ParsedDigest['algorithm']): Promise<string> {
    if (algorithm === 'sha256') {
      const cached = this.hashes.take(id, size);
      if (cached) return cached.digest('hex');
      if (size === 0) return createHash('sha256').digest('hex');
    }
    const hash = createHash(algorithm);
    if (size > 0) for await (const chunk of await this.storage.reader(StorageLayout.upload(id))) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** Makes verified bytes at `tempPath` the blob (unless it already exists) and links it. */
  private async commit(repository: string, digest: ParsedDigest, tempPath: string, size: number): Promise<BlobRecord> {
    const blob = { digest: digest.digest, size };
    await this.checkQuota(repository, blob);
    const target = StorageLayout.blob(digest);
    // Under the blob's row lock: a collector cannot be deleting `target` while the bytes go there.
    await this.store.commitBlob(repository, blob, async (present) => {
      if (present && (await this.storage.stat(target))) return;
      try {
        await this.storage.move(tempPath, target);
      } catch (err) {
        if (!(err instanceof PathNotFoundError) || size !== 0) throw err;
        await this.storage.putContent(target, Buffer.alloc(0)); // an empty blob has no upload file
      }
    });
    return blob;
  }

  private async checkQuota(repository: string, blob: BlobRecord): Promise<void> {
    const over = await this.store.quotaExceeded(repository, blob);
    if (over) {
      throw new OciError(
        'DENIED',
        `storage quota of organization ${over.organization} exceeded: ${over.used} of ${over.quota} bytes used, this blob needs ${blob.size} more`,
        { quota: over.quota, used: over.used, needed: blob.size },
      );
    }
  }

  private async discard(id: string): Promise<void> {
    this.hashes.drop(id);
    await this.storage.delete(StorageLayout.uploadDir(id)).catch((err) => {
      if (!(err instanceof PathNotFoundError)) throw err;
    });
    await this.store.deleteUpload(id);
  }

  private checkLimit(total: number): void {
    if (total > this.limits.maxLayerBytes) {
      throw new OciError('PAYLOAD_TOO_LARGE', `blob would be ${total} bytes; the limit is ${this.limits.maxLayerBytes} bytes`);
    }
  }

  /** Counts (and hashes when given a hash) a body, failing it once the blob passes the size limit. */
  private meter(hash: Hash | null, offset: number): DigestingStream {
    const max = this.limits.maxLayerBytes;
    return new DigestingStream(hash, offset, max, () => new OciError('PAYLOAD_TOO_LARGE', `blob exceeds the limit of ${max} bytes`));
  }
}

export function rangeHeader(size: number): string {
  return `0-${size > 0 ? size - 1 : 0}`;
}

/** Parses `Content-Range: <start>-<end>` (also `bytes <start>-<end>/<total|*>`). */
export function parseContentRange(header: string | undefined): { start: number; end: number } | null {
  if (header === undefined || header === '') return null;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m) throw new OciError('RANGE_INVALID', `Content-Range "${header.slice(0, 100)}" is not of the form <start>-<end>`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new OciError('RANGE_INVALID', `Content-Range "${header}" ends before it starts`);
  return { start, end };
}
