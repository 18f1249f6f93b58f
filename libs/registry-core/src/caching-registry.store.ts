import type { ManifestReference } from '@wharf/oci-spec';
import {
  BlobRecord,
  CatalogViewer,
  ManifestRecord,
  NewManifest,
  ReferrerRecord,
  RegistryStore,
  UnlinkResult,
  UploadRecord,
} from './registry-store.port';
import { TtlCache } from '@wharf/util';

export interface RegistryCacheOptions {
  /** How long another replica's tag move or delete may go unseen here. */
  tagTtlMs: number;
  /** Manifests and blob links are content-addressed; only deletes can make them stale. */
  contentTtlMs: number;
  capacity: number;
  /** Summed bytes of cached manifests and tag lists (each), so memory stays bounded whatever their size. */
  maxBytes: number;
}

const SEP = '\u0000';

/**
 * Caches what a pull reads on every request (tag → digest, tag lists, manifest bytes, a
 * repository's blob links) in front of the real store. Writes go through and invalidate this replica's entries;
 * other replicas see tag moves within `tagTtlMs` and deletes within `contentTtlMs`.
 */
export class CachingRegistryStore implements RegistryStore {
  private readonly tags: TtlCache<string | null>;
  private readonly manifests: TtlCache<ManifestRecord>;
  private readonly blobs: TtlCache<BlobRecord>;
  private readonly tagLists: TtlCache<string[]>;

  constructor(
    private readonly inner: RegistryStore,
    options: RegistryCacheOptions,
  ) {
    this.tags = new TtlCache(options.tagTtlMs, options.capacity);
    this.manifests = new TtlCache(options.contentTtlMs, options.capacity, Date.now, {
      of: (m) => m.payload.length + 200,
      max: options.maxBytes,
    });
    this.blobs = new TtlCache(options.contentTtlMs, options.capacity);
    this.tagLists = new TtlCache(options.tagTtlMs, 1_000, Date.now, {
      of: (tags) => tags.reduce((n, t) => n + t.length + 40, 0),
      max: options.maxBytes,
    });
  }

  async resolveTag(repository: string, tag: string): Promise<string | null> {
    const key = repository + SEP + tag;
    const cached = this.tags.get(key);
    if (cached !== undefined && cached !== null) return cached;
    const digest = await this.inner.resolveTag(repository, tag);
    if (digest) this.tags.set(key, digest);
    return digest;
  }

  async findManifest(repository: string, digest: string): Promise<ManifestRecord | null> {
    const key = repository + SEP + digest;
    const cached = this.manifests.get(key);
    if (cached) return cached;
    const found = await this.inner.findManifest(repository, digest);
    if (found) this.manifests.set(key, found);
    return found;
  }

  async findRepositoryBlob(repository: string, digest: string): Promise<BlobRecord | null> {
    const key = repository + SEP + digest;
    const cached = this.blobs.get(key);
    if (cached) return cached;
    const found = await this.inner.findRepositoryBlob(repository, digest);
    if (found) this.blobs.set(key, found);
    return found;
  }

  /** Tag lists (pages included) follow the tag rule: this replica's writes invalidate, others' show within `tagTtlMs`. */
  async listTags(repository: string, after: string | null, limit: number | null): Promise<string[] | null> {
    const key = `${repository}${SEP}${after ?? ''}${SEP}${limit ?? ''}`;
    const cached = this.tagLists.get(key);
    if (cached) return [...cached]; // callers may trim the array
    const tags = await this.inner.listTags(repository, after, limit);
    if (tags) this.tagLists.set(key, [...tags]);
    return tags;
  }

  async putManifest(manifest: NewManifest): Promise<void> {
    await this.inner.putManifest(manifest);
    if (manifest.tag !== null) {
      this.tags.set(manifest.repository + SEP + manifest.tag, manifest.digest);
      this.tagLists.deletePrefix(manifest.repository + SEP);
    }
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    this.manifests.delete(repository + SEP + digest);
    this.tags.deletePrefix(repository + SEP);
    this.tagLists.deletePrefix(repository + SEP);
    return this.inner.deleteManifest(repository, digest);
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    this.tags.delete(repository + SEP + tag);
    this.tagLists.deletePrefix(repository + SEP);
    return this.inner.deleteTag(repository, tag);
  }

  async unlinkBlob(repository: string, digest: string): Promise<UnlinkResult> {
    this.blobs.delete(repository + SEP + digest);
    return this.inner.unlinkBlob(repository, digest);
  }

  // Everything else goes straight through.
  listRepositories(after: string | null, limit: number, viewer: CatalogViewer | null): Promise<string[]> {
    return this.inner.listRepositories(after, limit, viewer);
  }
  findBlob(digest: string): Promise<BlobRecord | null> {
    return this.inner.findBlob(digest);
  }
  quotaExceeded(repository: string, blob: BlobRecord): Promise<{ organization: string; quota: number; used: number } | null> {
    return this.inner.quotaExceeded(repository, blob);
  }
  linkBlob(repository: string, blob: BlobRecord): Promise<void> {
    return this.inner.linkBlob(repository, blob);
  }
  missingReferences(repository: string, references: ManifestReference[]): Promise<ManifestReference[]> {
    return this.inner.missingReferences(repository, references);
  }
  listReferrers(repository: string, subject: string, artifactType: string | null): Promise<ReferrerRecord[]> {
    return this.inner.listReferrers(repository, subject, artifactType);
  }
  createUpload(id: string, repository: string): Promise<void> {
    return this.inner.createUpload(id, repository);
  }
  findUpload(id: string): Promise<UploadRecord | null> {
    return this.inner.findUpload(id);
  }
  touchUpload(id: string): Promise<UploadRecord | null> {
    return this.inner.touchUpload(id);
  }
  deleteUpload(id: string): Promise<void> {
    return this.inner.deleteUpload(id);
  }
}
