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
  private readonly tags: TtlCache<string>;
  private readonly manifests: TtlCache<ManifestRecord>;
  private readonly blobs: TtlCache<BlobRecord>;
  private readonly tagLists: TtlCache<string[]>;
  /** Organization ids by name (key `<name>\0`, so `forget(name)` drops it). */
  private readonly orgIds: TtlCache<string>;

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
    this.orgIds = new TtlCache(options.contentTtlMs, 10_000);
    this.tagLists = new TtlCache(options.tagTtlMs, 1_000, Date.now, {
      of: (tags) => tags.reduce((n, t) => n + t.length + 40, 0),
      max: options.maxBytes,
    });
  }

  organizationId(name: string): Promise<string | null> {
    return readThrough(this.orgIds, name + SEP, () => this.inner.organizationId(name));
  }

  resolveTag(repository: string, tag: string): Promise<string | null> {
    return readThrough(this.tags, repository + SEP + tag, () => this.inner.resolveTag(repository, tag));
  }

  findManifest(repository: string, digest: string): Promise<ManifestRecord | null> {
    return readThrough(this.manifests, repository + SEP + digest, () => this.inner.findManifest(repository, digest));
  }

  findRepositoryBlob(repository: string, digest: string): Promise<BlobRecord | null> {
    return readThrough(this.blobs, repository + SEP + digest, () => this.inner.findRepositoryBlob(repository, digest));
  }

  /** Tag lists (pages included) follow the tag rule: this replica's writes invalidate, others' show within `tagTtlMs`. */
  async listTags(repository: string, after: string | null, limit: number | null): Promise<string[] | null> {
    const key = `${repository}${SEP}${after ?? ''}${SEP}${limit ?? ''}`;
    const tags = await readThrough(this.tagLists, key, () => this.inner.listTags(repository, after, limit));
    return tags && [...tags]; // a copy: callers may trim the array, the cached one must stay whole
  }

  async putManifest(manifest: NewManifest): Promise<boolean> {
    if (!(await this.inner.putManifest(manifest))) return false;
    if (manifest.tag !== null) {
      this.tags.set(manifest.repository + SEP + manifest.tag, manifest.digest);
      this.tagLists.deletePrefix(manifest.repository + SEP);
    }
    return true;
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

  async deleteTags(repository: string, tags: string[]): Promise<string[]> {
    for (const tag of tags) this.tags.delete(repository + SEP + tag);
    this.tagLists.deletePrefix(repository + SEP);
    return this.inner.deleteTags(repository, tags);
  }

  async deleteRepository(repository: string): Promise<boolean> {
    this.forget(repository);
    return this.inner.deleteRepository(repository);
  }

  async unlinkBlob(repository: string, digest: string): Promise<UnlinkResult> {
    this.blobs.delete(repository + SEP + digest);
    return this.inner.unlinkBlob(repository, digest);
  }

  /**
   * Drops everything cached for repository `name` and for every repository under `name/` (an
   * organization): the management API deleted it, or its tags, behind the registry's back.
   */
  forget(name: string): void {
    for (const cache of [this.tags, this.manifests, this.blobs, this.tagLists, this.orgIds] as TtlCache<unknown>[]) {
      cache.deletePrefix(name + SEP);
      cache.deletePrefix(`${name}/`);
    }
  }

  // Everything else goes straight through.
  listRepositories(after: string | null, limit: number, viewer: CatalogViewer | null): Promise<string[]> {
    return this.inner.listRepositories(after, limit, viewer);
  }
  quotaExceeded(repository: string, blob: BlobRecord): Promise<{ organization: string; quota: number; used: number } | null> {
    return this.inner.quotaExceeded(repository, blob);
  }
  commitBlob(repository: string, blob: BlobRecord, place: (present: boolean) => Promise<void>): Promise<void> {
    return this.inner.commitBlob(repository, blob, place);
  }
  linkBlob(repository: string, blob: BlobRecord): Promise<boolean> {
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

/** The cached value, else the loaded one (cached when found; absence is never cached). */
/**
 * How long past its TTL an entry still answers while the database does not: pulls of content
 * this replica has served keep working through a database outage (a tag may then lag a move).
 */
const STALE_IF_ERROR_MS = 10 * 60_000;

async function readThrough<V>(cache: TtlCache<V>, key: string, load: () => Promise<V | null>): Promise<V | null> {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let loaded: V | null;
  try {
    loaded = await load();
  } catch (err) {
    const stale = cache.getStale(key, STALE_IF_ERROR_MS);
    if (stale !== undefined) return stale;
    throw err;
  }
  if (loaded !== null) cache.set(key, loaded);
  return loaded;
}
