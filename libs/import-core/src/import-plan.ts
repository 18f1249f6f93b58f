import { checkRepositoryName, checkTag, MANIFEST_KINDS, MediaType, FOREIGN_LAYER_TYPES, parseDigest } from '@wharf/oci-spec';
import type { ArchiveFile, ArchiveIndex } from './archive-scan';
import { InvalidImageFormat } from './import-errors';

/** Docker's media types for what a `docker push` of a saved image writes. */
export const DockerType = {
  config: 'application/vnd.docker.container.image.v1+json',
  layerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  layerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
/** Uncompressed layer types and the gzip type each becomes when the import compresses it. */
const GZIP_OF: Record<string, string> = {
  [OCI_LAYER_TAR]: `${OCI_LAYER_TAR}+gzip`,
  [DockerType.layerTar]: DockerType.layerGzip,
  [MediaType.OciNondistributableLayer]: `${MediaType.OciNondistributableLayer}+gzip`,
};

/** A layer to store: its file, and whether the import gzips it first (as a docker push would). */
export interface PlannedLayer {
  file: ArchiveFile;
  gzip: boolean;
  /** The descriptor written for it in the manifest (digest and size filled in once stored). */
  descriptor: Record<string, unknown>;
}

/** An image manifest to write: kept byte for byte when nothing in it changes, else rewritten. */
export interface ImageNode {
  kind: 'image';
  mediaType: string;
  /** The archive's own manifest bytes (OCI layouts); null when the import writes it (docker save). */
  original: Buffer | null;
  doc: Record<string, unknown>;
  config: ArchiveFile;
  layers: (PlannedLayer | null)[];
}

export interface IndexNode {
  kind: 'index';
  mediaType: string;
  original: Buffer;
  doc: Record<string, unknown> & { manifests: Record<string, unknown>[] };
  children: PlanNode[];
}

export type PlanNode = ImageNode | IndexNode;

/** One repository of the chosen organization, the tags the archive gives it, and what they point at. */
export interface ImportTarget {
  repository: string;
  tags: string[];
  root: PlanNode;
}

const MAX_DEPTH = 4;

function fail(reason: string): never {
  throw new InvalidImageFormat(reason);
}

function parseJson(file: ArchiveFile, what: string): Record<string, unknown> {
  if (!file.json) fail(`${what} (${file.name.slice(0, 200)}) is not JSON`);
  try {
    const doc = JSON.parse(file.json.toString('utf8')) as unknown;
    if (typeof doc === 'object' && doc !== null) return doc as Record<string, unknown>;
  } catch {
    // falls through to the message below
  }
  return fail(`${what} (${file.name.slice(0, 200)}) is not valid JSON`);
}

/**
 * `registry.example:5000/team/app:1.2` → repository `<organization>/app`, tag `1.2` (the last path
 * component, SPEC §6); a name without a tag means `latest`. Throws when the result breaks the rules.
 */
export function targetOf(organization: string, reference: string): { repository: string; tag: string } {
  const ref = reference.split('@')[0] as string;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const name = colon > slash ? ref.slice(0, colon) : ref;
  const tag = colon > slash ? ref.slice(colon + 1) : 'latest';
  const last = name.slice(name.lastIndexOf('/') + 1);
  const repository = `${organization}/${last}`;
  const problem = checkRepositoryName(repository) ?? checkTag(tag);
  if (problem) fail(`image name "${reference.slice(0, 200)}" breaks the naming rules: ${problem}`);
  return { repository, tag };
}

function addTarget(targets: ImportTarget[], organization: string, reference: string, root: PlanNode): void {
  const { repository, tag } = targetOf(organization, reference);
  const same = targets.find((t) => t.repository === repository && t.root === root);
  if (same) {
    if (!same.tags.includes(tag)) same.tags.push(tag);
  } else {
    targets.push({ repository, tags: [tag], root });
  }
}

/** The diff_ids the image config lists; checked against each layer's uncompressed digest. */
function checkDiffIds(config: Record<string, unknown>, layers: (ArchiveFile | null)[], shown: string): void {
  const rootfs = config['rootfs'] as { diff_ids?: unknown } | undefined;
  const diffIds = rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) fail(`the config of ${shown} has no rootfs.diff_ids`);
  if (diffIds.length !== layers.length) fail(`${shown} has ${layers.length} layers but its config lists ${diffIds.length} diff_ids`);
  layers.forEach((f, i) => {
    if (f && f.diffId !== null && f.diffId !== diffIds[i]) {
      fail(`layer ${f.name.slice(0, 200)} has diff_id ${f.diffId}, but the image config says ${String(diffIds[i]).slice(0, 80)}`);
    }
  });
}

/** A `docker save` archive (`manifest.json`; Docker 25+ saves too, whose paths point into `blobs/`). */
function planDockerSave(index: ArchiveIndex, organization: string, manifestFile: ArchiveFile): ImportTarget[] {
  const parsed = parseJson(manifestFile, 'manifest.json') as unknown;
  if (!Array.isArray(parsed) || parsed.length === 0) fail('manifest.json is not a non-empty list of images');
  const targets: ImportTarget[] = [];
  parsed.forEach((item: unknown, i: number) => {
    const entry = item as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    const shown = `image ${i + 1} of manifest.json`;
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      fail(`${shown} has no Config or Layers`);
    }
    const config = index.resolve(entry.Config) ?? fail(`the config ${entry.Config.slice(0, 200)} of ${shown} is missing from the archive`);
    const layers = (entry.Layers as string[]).map((p) => {
      const file = index.resolve(p) ?? fail(`the layer ${p.slice(0, 200)} of ${shown} is missing from the archive`);
      if (file.compression === 'zstd') fail(`the layer ${p.slice(0, 200)} is zstd-compressed; a docker save archive holds tar or gzip layers`);
      return file;
    });
    checkDiffIds(parseJson(config, `the config of ${shown}`), layers, shown);
    const names = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    if (names.length === 0) fail(`${shown} (config ${config.digest}) has no name: its RepoTags is empty`);
    const root: ImageNode = {
      kind: 'image',
      mediaType: MediaType.DockerManifest,
      original: null,
      doc: { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: { mediaType: DockerType.config } },
      config,
      layers: layers.map((file) => ({ file, gzip: file.compression === null, descriptor: { mediaType: DockerType.layerGzip } })),
    };
    for (const name of names) addTarget(targets, organization, name, root);
  });
  return targets;
}

function blobFile(index: ArchiveIndex, desc: Record<string, unknown>, what: string): ArchiveFile {
  const digest = typeof desc['digest'] === 'string' ? desc['digest'] : '';
  const parsed = parseDigest(digest);
  if (!parsed.ok) fail(`${what} has an invalid digest "${digest.slice(0, 100)}"`);
  const file = index.resolve(`blobs/${parsed.value.algorithm}/${parsed.value.hex}`) ?? fail(`${what} ${digest} is missing from the archive`);
  if (parsed.value.algorithm === 'sha256' && file.digest !== digest) fail(`blob ${file.name} has digest ${file.digest}, not ${digest}`);
  if (desc['size'] !== file.size) fail(`blob ${file.name} is ${file.size} bytes, but its descriptor says ${String(desc['size']).slice(0, 20)}`);
  return file;
}

function planOciNode(index: ArchiveIndex, desc: Record<string, unknown>, depth: number, cache: Map<string, PlanNode>): PlanNode {
  if (depth > MAX_DEPTH) fail(`indexes nest deeper than ${MAX_DEPTH} levels`);
  const file = blobFile(index, desc, 'manifest');
  const cached = cache.get(file.digest);
  if (cached) return cached;
  const doc = parseJson(file, `manifest ${file.digest}`);
  const mediaType = (typeof doc['mediaType'] === 'string' ? doc['mediaType'] : desc['mediaType']) as string;
  const kind = MANIFEST_KINDS[mediaType] ?? (Array.isArray(doc['manifests']) ? 'index' : 'image');
  let node: PlanNode;
  if (kind === 'index') {
    const manifests = Array.isArray(doc['manifests']) ? (doc['manifests'] as Record<string, unknown>[]) : fail(`index ${file.digest} has no manifests`);
    const children = manifests.map((m) => planOciNode(index, m, depth + 1, cache));
    node = { kind: 'index', mediaType: mediaType ?? MediaType.OciIndex, original: file.json as Buffer, doc: { ...doc, manifests }, children };
  } else {
    const configDesc = doc['config'] as Record<string, unknown> | undefined;
    if (!configDesc || !Array.isArray(doc['layers'])) fail(`manifest ${file.digest} has no config or layers`);
    const config = blobFile(index, configDesc, 'config');
    const layerDescs = doc['layers'] as Record<string, unknown>[];
    const layers = layerDescs.map((l) => {
      const type = String(l['mediaType']);
      if (FOREIGN_LAYER_TYPES.has(type) && !index.resolve(`blobs/${String(l['digest']).replace(':', '/')}`)) return null; // fetched from its urls
      const f = blobFile(index, l, 'layer');
      const gzip = type in GZIP_OF;
      if (gzip && f.compression !== null) fail(`layer ${f.digest} is compressed, but its media type ${type} says uncompressed`);
      return { file: f, gzip, descriptor: gzip ? { ...l, mediaType: GZIP_OF[type] } : l };
    });
    const configDoc = config.json ? parseJson(config, `config ${config.digest}`) : null;
    if (configDoc && configDoc['rootfs'] !== undefined) checkDiffIds(configDoc, layers.map((l) => l?.file ?? null), `image ${file.digest}`);
    node = { kind: 'image', mediaType: mediaType ?? MediaType.OciManifest, original: file.json as Buffer, doc, config, layers };
  }
  cache.set(file.digest, node);
  return node;
}

const CONTAINERD_NAME = 'io.containerd.image.name';
const REF_NAME = 'org.opencontainers.image.ref.name';

/** An OCI image layout archive (`oci-layout`, `index.json`, `blobs/`), multi-image and multi-platform. */
function planOciLayout(index: ArchiveIndex, organization: string, indexFile: ArchiveFile): ImportTarget[] {
  const layout = index.resolve('oci-layout');
  if (!layout || typeof parseJson(layout, 'oci-layout')['imageLayoutVersion'] !== 'string') fail('oci-layout is missing or has no imageLayoutVersion');
  const doc = parseJson(indexFile, 'index.json');
  const manifests = doc['manifests'];
  if (!Array.isArray(manifests) || manifests.length === 0) fail('index.json lists no images');
  const targets: ImportTarget[] = [];
  const cache = new Map<string, PlanNode>();
  manifests.forEach((m: Record<string, unknown>, i: number) => {
    const annotations = (m?.['annotations'] ?? {}) as Record<string, unknown>;
    const full = annotations[CONTAINERD_NAME];
    const ref = annotations[REF_NAME];
    let name: string;
    if (typeof full === 'string' && full !== '') name = full;
    else if (typeof ref === 'string' && /[:/]/.test(ref)) name = ref;
    else if (typeof ref === 'string' && ref !== '') {
      fail(`entry ${i + 1} of index.json names only the tag "${ref.slice(0, 100)}", not the image (annotation ${REF_NAME}); name it like app:${ref.slice(0, 100)}`);
    } else fail(`entry ${i + 1} of index.json has no name (annotation ${REF_NAME})`);
    addTarget(targets, organization, name, planOciNode(index, m, 0, cache));
  });
  return targets;
}

/**
 * What an archive asks to import into `organization`: every image, its repository and tags, and
 * what must be stored. Everything is checked here, before anything is stored: a missing config
 * or layer, a digest or diff_id that does not match, a name that breaks the rules.
 */
export function planImport(index: ArchiveIndex, organization: string): ImportTarget[] {
  const manifest = index.resolve('manifest.json');
  if (manifest) return planDockerSave(index, organization, manifest);
  const ociIndex = index.resolve('index.json');
  if (ociIndex) return planOciLayout(index, organization, ociIndex);
  if (index.resolve('repositories')) fail('a docker save archive without manifest.json (Docker before 1.10) is not supported');
  return fail('neither manifest.json (docker save) nor index.json (OCI image layout) is in the archive');
}
