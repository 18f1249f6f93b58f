import { Readable } from 'node:stream';
import { forEachLimit } from '@wharf/util';
import { DEFAULT_ARCHIVE_LIMITS, ArchiveFile, ArchiveLimits, normalizeName, scanArchive, tarStream } from './archive-scan';
import { InvalidImageFormat } from './import-errors';
import { ImageNode, ImportTarget, PlanNode, planImport } from './import-plan';
import { parallelGzip } from './parallel-gzip';
import type { ImagePusher, ImportedImage, StoredBlob } from './ports';
import { readTar } from './tar-reader';

const PROGRESS_EVERY = 8 * 1024 * 1024;
const LAYERS_AT_ONCE = 2;

/** The stored archive's bytes: all of them, or one byte range (a member of a plain tar). */
export type ArchiveOpener = (range?: { offset: number; length: number }) => Promise<Readable>;

export interface ImportProgress {
  phase: 'verifying' | 'storing';
  /** Bytes of the tar stream read in this phase. */
  bytes: number;
}

/**
 * One archive into one organization, in two passes over its bytes (never whole in memory, never
 * extracted): the first checks and hashes everything and plans the import; only then the second
 * stores the blobs (layers gzipped where the archive has them uncompressed) and the manifests, and
 * last the tags, all through `pusher` with the uploader's permissions and quotas. A failure before
 * the second pass stores nothing. Running it again after a crash converges (blobs and manifests
 * are content-addressed, tags are overwritten).
 */
export class ImageImporter {
  constructor(private readonly limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) {}

  async run(open: ArchiveOpener, organization: string, pusher: ImagePusher, progress: (p: ImportProgress) => void = () => undefined): Promise<ImportedImage[]> {
    const index = await scanArchive(await open(), this.limits);
    const targets = planImport(index, organization);
    for (const repository of new Set(targets.map((t) => t.repository))) {
      const denied = await pusher.checkPush(repository);
      if (denied) throw new InvalidImageFormat(denied); // not a format problem, but the same "nothing imported" outcome
    }
    progress({ phase: 'storing', bytes: 0 });
    const stored = await this.storeBlobs(open, index.gzipped, targets, pusher, progress);
    const images: ImportedImage[] = [];
    for (const target of targets) {
      const written = new Map<PlanNode, { digest: string; size: number; body: Buffer }>();
      const root = await this.writeNode(target.root, target.repository, stored, pusher, written);
      for (const tag of target.tags) await pusher.putManifest(target.repository, tag, target.root.mediaType, root.body);
      images.push({ repository: target.repository, tags: [...target.tags].sort(), digest: root.digest });
    }
    return images;
  }

  /** Every file the targets need, stored once (the first repository uploads, the others mount). */
  private async storeBlobs(open: ArchiveOpener, archiveGzipped: boolean, targets: ImportTarget[], pusher: ImagePusher, progress: (p: ImportProgress) => void): Promise<Map<string, StoredBlob>> {
    const needs = new Map<string, { file: ArchiveFile; gzip: boolean; repositories: Set<string> }>();
    const need = (file: ArchiveFile, gzip: boolean, repository: string) => {
      const n = needs.get(file.name) ?? { file, gzip, repositories: new Set<string>() };
      n.repositories.add(repository);
      needs.set(file.name, n);
    };
    const visit = (node: PlanNode, repository: string): void => {
      if (node.kind === 'index') return node.children.forEach((c) => visit(c, repository));
      need(node.config, false, repository);
      for (const l of node.layers) if (l) need(l.file, l.gzip, repository);
    };
    for (const t of targets) visit(t.root, t.repository);

    const stored = new Map<string, StoredBlob>();
    const store = async (name: string, body: AsyncIterable<Buffer> | Buffer[]) => {
      const n = needs.get(name) as { file: ArchiveFile; gzip: boolean; repositories: Set<string> };
      const [first, ...others] = [...n.repositories];
      const blob = n.gzip
        ? await pusher.uploadBlob(first as string, gzipped(body), null)
        : await pusher.uploadBlob(first as string, Readable.from(body), { digest: n.file.digest, size: n.file.size });
      for (const repository of others) await pusher.mountBlob(repository, blob.digest, first as string);
      stored.set(name, blob);
    };
    // Small JSON members are in memory already; the rest come from one more pass over the archive.
    for (const [name, n] of needs) if (n.file.json && !n.gzip) await store(name, [n.file.json]);
    if ([...needs.keys()].every((name) => stored.has(name))) return stored;
    if (!archiveGzipped) {
      // A plain tar: each member is a byte range of the stored file, so two layers go at once
      // (one's storage commit overlaps the other's compression).
      let done = 0;
      const files = [...needs.values()].filter((n) => !stored.has(n.file.name)).sort((a, b) => a.file.offset - b.file.offset);
      await forEachLimit(files, LAYERS_AT_ONCE, async (n) => {
        await store(n.file.name, await open({ offset: n.file.offset, length: n.file.size }));
        done += n.file.size;
        progress({ phase: 'storing', bytes: done });
      });
    } else {
      let reported = 0;
      for await (const { entry, body } of readTar(tarStream(await open(), this.limits))) {
        if (entry.offset - reported >= PROGRESS_EVERY) {
          reported = entry.offset;
          progress({ phase: 'storing', bytes: entry.offset });
        }
        if (entry.type !== 'file') continue;
        const name = normalizeName(entry.name);
        if (needs.has(name) && !stored.has(name)) await store(name, body);
      }
    }
    const missing = [...needs.keys()].find((name) => !stored.has(name));
    if (missing) throw new Error(`the archive changed between its two passes: ${missing} was not found again`);
    return stored;
  }

  /** Writes a manifest (children first): the archive's bytes when nothing in it changed, else a rewrite. */
  private async writeNode(node: PlanNode, repository: string, stored: Map<string, StoredBlob>, pusher: ImagePusher, written: Map<PlanNode, { digest: string; size: number; body: Buffer }>): Promise<{ digest: string; size: number; body: Buffer }> {
    const done = written.get(node);
    if (done) return done;
    let body: Buffer;
    if (node.kind === 'index') {
      const children: { digest: string; size: number; body: Buffer }[] = [];
      for (const child of node.children) children.push(await this.writeNode(child, repository, stored, pusher, written));
      const changed = children.some((c, i) => c.digest !== node.doc.manifests[i]?.['digest']);
      body = changed
        ? Buffer.from(JSON.stringify({ ...node.doc, manifests: node.doc.manifests.map((m, i) => ({ ...m, digest: children[i]?.digest, size: children[i]?.size })) }))
        : node.original;
    } else {
      body = imageManifest(node, stored);
    }
    const digest = await pusher.putManifest(repository, null, node.mediaType, body);
    const out = { digest, size: body.length, body };
    written.set(node, out);
    return out;
  }
}

/** The member's bytes gzipped on every core; an error reading them fails the stream (and so the upload). */
function gzipped(body: AsyncIterable<Buffer> | Buffer[]): Readable {
  return Readable.from(parallelGzip(body));
}

function imageManifest(node: ImageNode, stored: Map<string, StoredBlob>): Buffer {
  const changed = node.original === null || node.layers.some((l) => l?.gzip);
  if (!changed) return node.original as Buffer;
  const blob = (file: ArchiveFile) => stored.get(file.name) as StoredBlob;
  const config = { ...(node.doc['config'] as Record<string, unknown>), size: blob(node.config).size, digest: blob(node.config).digest };
  const oldLayers = (node.doc['layers'] as Record<string, unknown>[] | undefined) ?? [];
  const layers = node.layers.map((l, i) => (l ? { ...l.descriptor, size: blob(l.file).size, digest: blob(l.file).digest } : oldLayers[i]));
  return Buffer.from(JSON.stringify({ ...node.doc, config, layers }));
}
