import { OciError } from '@wharf/oci-errors';
import { parseDigest, ParsedDigest } from '@wharf/oci-spec';
import { PathNotFoundError, StorageDriver } from '@wharf/storage-api';
import { BlobRecord, RegistryStore } from './registry-store.port';
import { RegistryLimits } from './ports';
import { StorageLayout } from './storage-layout';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export type BlobContent =
  | { kind: 'stream'; blob: BlobRecord; range: ByteRange | null; copyTo: (destination: NodeJS.WritableStream) => Promise<void> }
  | { kind: 'redirect'; blob: BlobRecord; url: string };

/** Reads and deletes blobs of a repository. */
export class BlobService {
  constructor(
    private readonly store: RegistryStore,
    private readonly storage: StorageDriver,
    private readonly limits: RegistryLimits,
  ) {}

  /** The blob's size, or BLOB_UNKNOWN when this repository does not have it. */
  async stat(repository: string, digest: string): Promise<BlobRecord> {
    const parsed = requireDigest(digest);
    const blob = await this.store.findRepositoryBlob(repository, parsed.digest);
    if (!blob) throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${repository}`, { digest });
    return blob;
  }

  /** Opens the blob for a GET, honouring a single `bytes=` range. */
  async open(repository: string, digest: string, rangeHeader: string | undefined): Promise<BlobContent> {
    const blob = await this.stat(repository, digest);
    const range = rangeHeader ? parseRange(rangeHeader, blob.size) : null;
    const path = StorageLayout.blob(requireDigest(digest));
    if (this.limits.redirectBlobs && !range) {
      const url = await this.storage.redirectUrl(path, { expiresInSeconds: 20 * 60 });
      if (url) return { kind: 'redirect', blob, url };
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : blob.size;
    const storage = this.storage;
    return {
      kind: 'stream',
      blob,
      range,
      copyTo: async (destination) => {
        try {
          await storage.copyTo(path, destination, start, length);
        } catch (err) {
          if (err instanceof PathNotFoundError) {
            throw new OciError('BLOB_UNKNOWN', `blob ${digest} is recorded but its content is missing from storage`, { digest });
          }
          throw err;
        }
      },
    };
  }

  /** Removes the blob from the repository; refused while a manifest of the repository references it. */
  async delete(repository: string, digest: string): Promise<void> {
    const parsed = requireDigest(digest);
    const result = await this.store.unlinkBlob(repository, parsed.digest);
    if (result.kind === 'unknown') {
      throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${repository}`, { digest });
    }
    if (result.kind === 'referenced') {
      throw new OciError(
        'DENIED',
        `blob ${digest} is referenced by manifest ${result.manifest} in ${repository}; delete that manifest first`,
        { digest, manifest: result.manifest },
      );
    }
  }
}

export function requireDigest(value: string): ParsedDigest {
  const parsed = parseDigest(value);
  if (!parsed.ok) throw new OciError('DIGEST_INVALID', parsed.problem, { digest: value.slice(0, 200) });
  return parsed.value;
}

/** Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` (one range only), per RFC 9110. */
export function parseRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = () =>
    new OciError('RANGE_INVALID', `range "${header.slice(0, 100)}" cannot be satisfied for a blob of ${size} bytes`, undefined, {
      'content-range': `bytes */${size}`,
    });
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}
