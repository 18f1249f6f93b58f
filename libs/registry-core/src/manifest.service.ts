import { OciError } from '@wharf/oci-errors';
import { checkTag, digestOf, MediaType, parseDigest, parseManifest, ParsedManifest, Descriptor } from '@wharf/oci-spec';
import { requireDigest } from './blob.service';
import { DownloadCounter, noDownloadCounter } from './download-counter.port';
import { RegistryLimits } from './ports';
import { CatalogViewer, ManifestRecord, RegistryStore } from './registry-store.port';

export interface PutManifestResult {
  digest: string;
  subject: string | null;
}

const INDEX_TYPES = new Set<string>([MediaType.OciIndex, MediaType.DockerManifestList]);

/** Manifests and tags of a repository: validation on PUT, content negotiation on GET, deletes. */
export class ManifestService {
  constructor(
    private readonly store: RegistryStore,
    private readonly limits: RegistryLimits,
    private readonly downloads: DownloadCounter = noDownloadCounter,
  ) {}

  async put(repository: string, reference: string, contentType: string | undefined, body: Buffer, pushedBy: string | null = null): Promise<PutManifestResult> {
    if (body.length > this.limits.maxManifestBytes) {
      throw new OciError('PAYLOAD_TOO_LARGE', `manifest is ${body.length} bytes; the limit is ${this.limits.maxManifestBytes} bytes`);
    }
    const byDigest = reference.includes(':');
    let digest: string;
    if (byDigest) {
      const expected = requireDigest(reference);
      digest = digestOf(body, expected.algorithm);
      if (digest !== expected.digest) {
        throw new OciError('DIGEST_INVALID', `manifest content has digest ${digest}, not ${reference}`, {
          expected: reference,
          actual: digest,
        });
      }
    } else {
      const problem = checkTag(reference);
      if (problem) throw new OciError('MANIFEST_INVALID', problem, { tag: reference.slice(0, 200) });
      digest = digestOf(body);
    }
    const parsed = parseManifest(body, contentType);
    if (!parsed.ok) throw new OciError('MANIFEST_INVALID', parsed.problem);
    // Re-tagging a manifest the repository already has needs no reference check: it passed one.
    if (!(await this.store.findManifest(repository, digest))) await this.checkReferences(repository, parsed.value);
    const stored = await this.store.putManifest({
      repository,
      digest,
      mediaType: parsed.value.mediaType,
      artifactType: parsed.value.artifactType,
      payload: body,
      subjectDigest: parsed.value.subject?.digest ?? null,
      annotations: parsed.value.annotations,
      references: parsed.value.references,
      tag: byDigest ? null : reference,
      pushedBy,
    });
    if (!stored) {
      // Garbage collection took a referenced blob between the check above and the store: the
      // client uploads it again (its HEAD now answers 404) and repeats the PUT.
      throw new OciError('MANIFEST_BLOB_UNKNOWN', `a blob this manifest references was garbage-collected from ${repository} during the push; push it again`);
    }
    return { digest, subject: parsed.value.subject?.digest ?? null };
  }

  /**
   * The manifest for a tag or digest. When the stored manifest is an index the client did not
   * accept (old clients), the linux/amd64 child is served instead, as Distribution does.
   */
  async get(repository: string, reference: string, accept: string | undefined, count = false): Promise<ManifestRecord> {
    const digest = await this.resolve(repository, reference);
    const manifest = await this.store.findManifest(repository, digest);
    if (!manifest) throw unknownManifest(repository, reference);
    if (count) this.downloads.record(repository, reference.includes(':') ? null : reference);
    if (INDEX_TYPES.has(manifest.mediaType) && accept && !acceptsIndex(accept)) {
      const child = platformChild(manifest.payload);
      if (child) {
        const found = await this.store.findManifest(repository, child);
        if (found) return found;
      }
    }
    return manifest;
  }

  /** DELETE by digest removes the manifest and its tags; DELETE by tag removes only the tag. */
  async delete(repository: string, reference: string): Promise<void> {
    if (reference.includes(':')) {
      const digest = requireDigest(reference).digest;
      if (!(await this.store.deleteManifest(repository, digest))) throw unknownManifest(repository, reference);
      return;
    }
    const problem = checkTag(reference);
    if (problem) throw new OciError('MANIFEST_INVALID', problem);
    if (!(await this.store.deleteTag(repository, reference))) throw unknownManifest(repository, reference);
  }

  /**
   * Deletes those tags (the management API's batch delete; the manifests stay, as with a DELETE by
   * tag). Returns the names that were there, sorted; a name that breaks the tag rules is refused.
   */
  async deleteTags(repository: string, tags: string[]): Promise<string[]> {
    const problem = tags.map(checkTag).find((p) => p !== null);
    if (problem) throw new OciError('MANIFEST_INVALID', problem);
    return this.store.deleteTags(repository, tags);
  }

  /** Deletes the repository with its tags and manifests (blob bytes stay for garbage collection). */
  deleteRepository(repository: string): Promise<boolean> {
    return this.store.deleteRepository(repository);
  }

  async tags(repository: string, last: string | null, n: number | null): Promise<string[]> {
    const tags = await this.store.listTags(repository, last, n);
    if (tags === null) throw new OciError('NAME_UNKNOWN', `repository ${repository} is not known to the registry`, { name: repository });
    return tags;
  }

  async catalog(last: string | null, n: number, viewer: CatalogViewer | null): Promise<string[]> {
    return this.store.listRepositories(last, n, viewer);
  }

  /** Descriptors of the manifests whose subject is `digest`, optionally of one artifact type. */
  async referrers(repository: string, digest: string, artifactType: string | null): Promise<Descriptor[]> {
    const subject = requireDigest(digest).digest;
    const rows = await this.store.listReferrers(repository, subject, artifactType);
    return rows.map((r) => {
      const d: Descriptor = { mediaType: r.mediaType, digest: r.digest, size: r.size };
      if (r.artifactType) d.artifactType = r.artifactType;
      if (r.annotations) d.annotations = r.annotations;
      return d;
    });
  }

  private async resolve(repository: string, reference: string): Promise<string> {
    if (reference.includes(':')) return requireDigest(reference).digest;
    // A reference no tag can have names no manifest: unknown (as the OCI conformance suite expects), not malformed.
    if (checkTag(reference)) throw unknownManifest(repository, reference);
    const digest = await this.store.resolveTag(repository, reference);
    if (!digest) throw unknownManifest(repository, reference);
    return digest;
  }

  private async checkReferences(repository: string, manifest: ParsedManifest): Promise<void> {
    if (manifest.references.length === 0) return;
    const missing = await this.store.missingReferences(repository, manifest.references);
    if (missing.length === 0) return;
    const first = missing[0] as (typeof missing)[number];
    const what = first.kind === 'manifest' ? 'child manifest' : first.kind;
    throw new OciError(
      'MANIFEST_BLOB_UNKNOWN',
      `${what} ${first.digest} is not in repository ${repository}; push it before the manifest` +
        (missing.length > 1 ? ` (${missing.length} references are missing)` : ''),
      missing.map((m) => ({ kind: m.kind, digest: m.digest })),
    );
  }
}

function unknownManifest(repository: string, reference: string): OciError {
  return new OciError('MANIFEST_UNKNOWN', `manifest ${reference.slice(0, 200)} is not in repository ${repository}`, {
    name: repository,
    reference: reference.slice(0, 200),
  });
}

function acceptsIndex(accept: string): boolean {
  return accept
    .split(',')
    .map((t) => t.split(';')[0]?.trim().toLowerCase())
    .some((t) => t === '*/*' || (t !== undefined && INDEX_TYPES.has(t)));
}

function platformChild(payload: Buffer): string | null {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { manifests?: Descriptor[] };
    const match = doc.manifests?.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64');
    return match && parseDigest(match.digest).ok ? match.digest : null;
  } catch {
    return null;
  }
}
