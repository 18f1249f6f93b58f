import type { ManifestReference } from '@wharf/oci-spec';

/**
 * The metadata port of the registry: what the OCI data plane needs from a database. The
 * Postgres implementation lives in `@wharf/database`; tests run it against a real Postgres.
 * Repository names are full names (`org/repo`); every method is safe to call concurrently.
 */
export const REGISTRY_STORE = Symbol('REGISTRY_STORE');

export interface BlobRecord {
  digest: string;
  size: number;
}

export interface ManifestRecord {
  digest: string;
  mediaType: string;
  payload: Buffer;
}

export interface NewManifest {
  repository: string;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  payload: Buffer;
  subjectDigest: string | null;
  annotations: Record<string, string> | null;
  references: ManifestReference[];
  /** Tag to point at the manifest in the same transaction. */
  tag: string | null;
  /** Who pushed it (token subject), shown in tag lists. */
  pushedBy: string | null;
}

/** Who is listing the catalog (from the token); the catalog shows only what they may pull. */
export interface CatalogViewer {
  userId: string | null;
  accountId: string | null;
  /** Owner of `accountId`: sees every organization of the account. */
  ownerOfAccount: boolean;
  /** A robot sees its own organization. */
  robotOrganization: string | null;
}

export interface ReferrerRecord {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  annotations: Record<string, string> | null;
}

export interface UploadRecord {
  id: string;
  repository: string;
  createdAt: Date;
}

export type UnlinkResult = { kind: 'unlinked' } | { kind: 'unknown' } | { kind: 'referenced'; manifest: string };

export interface RegistryStore {
  /** The organization's id (registry tokens are bound to it), or null when there is none of that name. */
  organizationId(name: string): Promise<string | null>;

  /** Repository names in lexical order strictly after `after`, at most `limit`; only those `viewer` may see when given. */
  listRepositories(after: string | null, limit: number, viewer: CatalogViewer | null): Promise<string[]>;

  /** The blob when the repository has it linked (uploaded or mounted there) and it is not being collected. */
  findRepositoryBlob(repository: string, digest: string): Promise<BlobRecord | null>;
  /**
   * Records the blob (once per registry) and links it to the repository, creating the repository
   * if needed; the blob leaves any garbage-collection state. `place` puts the bytes in storage
   * while the blob's row is locked, so a collector deleting the same digest either finished
   * before (`present` is then false) or waits until the link is committed. `present`: the
   * registry already holds the bytes (`place` may check storage and keep them).
   */
  commitBlob(repository: string, blob: BlobRecord, place: (present: boolean) => Promise<void>): Promise<void>;
  /**
   * Links a blob the registry holds to the repository (a cross-repository mount), creating the
   * repository if needed. False when the blob is gone or being collected (the client uploads it).
   */
  linkBlob(repository: string, blob: BlobRecord): Promise<boolean>;
  /**
   * The organization's storage quota when adding `blob` to `repository` would exceed it (each
   * distinct blob counts once per organization); null when it fits or there is no quota.
   */
  quotaExceeded(repository: string, blob: BlobRecord): Promise<{ organization: string; quota: number; used: number } | null>;
  /** Unlinks a blob from a repository unless a manifest of that repository references it. */
  unlinkBlob(repository: string, digest: string): Promise<UnlinkResult>;

  /** Of `references`, those the repository does not have (blobs for config/layer, manifests for manifest). */
  missingReferences(repository: string, references: ManifestReference[]): Promise<ManifestReference[]>;
  /**
   * Stores a manifest with its references (idempotent) and moves `tag` to it, in one transaction.
   * The referenced blobs are share-locked for it: false, and nothing stored, when one of them is
   * gone or being collected (garbage collection took it after the reference check).
   */
  putManifest(manifest: NewManifest): Promise<boolean>;
  findManifest(repository: string, digest: string): Promise<ManifestRecord | null>;
  resolveTag(repository: string, tag: string): Promise<string | null>;
  /** Deletes a manifest and every tag pointing at it. False when it was not there. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Deletes those tags of the repository (one statement); returns the names that were there, sorted. */
  deleteTags(repository: string, tags: string[]): Promise<string[]>;
  /** Deletes the repository with its tags, manifests and blob links. False when it was not there. */
  deleteRepository(repository: string): Promise<boolean>;
  /** Tags in lexical order after `after`; null when the repository does not exist. */
  listTags(repository: string, after: string | null, limit: number | null): Promise<string[] | null>;
  listReferrers(repository: string, subject: string, artifactType: string | null): Promise<ReferrerRecord[]>;

  createUpload(id: string, repository: string): Promise<void>;
  findUpload(id: string): Promise<UploadRecord | null>;
  /** Marks the upload active now and returns it (null when unknown): one round trip per chunk. */
  touchUpload(id: string): Promise<UploadRecord | null>;
  deleteUpload(id: string): Promise<void>;
}
