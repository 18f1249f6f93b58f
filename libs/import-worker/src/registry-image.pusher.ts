import type { Readable } from 'node:stream';
import { AccessStore, UserRecord, userPrincipal } from '@wharf/auth-core';
import { evaluateAccess } from '@wharf/identity';
import type { ImagePusher, StoredBlob } from '@wharf/import-core';
import { digestOf, organizationOf } from '@wharf/oci-spec';
import type { ManifestService, UploadService } from '@wharf/registry-core';

/**
 * ImagePusher over registry-core, as the uploader: the token service's push decision (the same
 * facts and rule), then the registry's own upload and manifest paths (digest checks, quota, the
 * garbage collector's locks, outbox events).
 */
export class RegistryImagePusher implements ImagePusher {
  constructor(
    private readonly uploads: UploadService,
    private readonly manifests: ManifestService,
    private readonly access: AccessStore,
    private readonly user: UserRecord,
  ) {}

  async checkPush(repository: string): Promise<string | null> {
    const principal = userPrincipal(this.user);
    const facts = await this.access.repositoryFacts(principal, repository);
    const decision = evaluateAccess(principal, organizationOf(repository), facts, ['push'], { now: new Date(), anonymousPull: false });
    if (decision.granted.includes('push')) return null;
    return `${this.user.username} may not push to ${repository}${decision.reason ? ` (${decision.reason})` : ''}`;
  }

  async uploadBlob(repository: string, body: Readable, expected: StoredBlob | null): Promise<StoredBlob> {
    if (expected) return this.uploads.monolithic(repository, expected.digest, body, expected.size);
    return this.uploads.computed(repository, body); // the digest is known once the compressed bytes are all through
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<void> {
    if (!(await this.uploads.mount(repository, digest, from))) throw new Error(`blob ${digest} could not be linked from ${from} into ${repository}`);
  }

  async putManifest(repository: string, tag: string | null, mediaType: string, body: Buffer): Promise<string> {
    return (await this.manifests.put(repository, tag ?? digestOf(body), mediaType, body, this.user.username)).digest;
  }
}
