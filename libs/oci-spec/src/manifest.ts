import { parseDigest } from './digest';
import { FOREIGN_LAYER_TYPES, MANIFEST_KINDS, ManifestKind, MediaType, SCHEMA1_TYPES } from './media-types';

/**
 * Manifest parsing and validation for PUT. Pure: given the raw bytes and the request's
 * Content-Type it either returns what the registry must store and check, or a problem string
 * that names exactly what is wrong (the caller turns it into MANIFEST_INVALID).
 */

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export type ReferenceKind = 'config' | 'layer' | 'manifest';

/** Something a manifest points at that must exist in the repository when the manifest is PUT. */
export interface ManifestReference {
  kind: ReferenceKind;
  digest: string;
}

export interface ParsedManifest {
  mediaType: string;
  kind: ManifestKind;
  /** `artifactType`, or for an image manifest without one, its config media type (OCI referrers rule). */
  artifactType: string | null;
  subject: Descriptor | null;
  annotations: Record<string, string> | null;
  references: ManifestReference[];
  /** Child descriptors of an index (empty for image manifests). */
  children: Descriptor[];
}

export type ManifestParse = { ok: true; value: ParsedManifest } | { ok: false; problem: string; schema1?: boolean };

const fail = (problem: string): ManifestParse => ({ ok: false, problem });

/** Strips parameters (`; charset=utf-8`) and case from a Content-Type header. */
export function baseMediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export function parseManifest(body: Buffer, contentType: string | undefined): ManifestParse {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return fail(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) return fail('manifest must be a JSON object');

  const headerType = baseMediaType(contentType);
  const bodyType = typeof doc['mediaType'] === 'string' ? (doc['mediaType'] as string) : undefined;

  if (doc['schemaVersion'] === 1 || SCHEMA1_TYPES.has(headerType) || (bodyType && SCHEMA1_TYPES.has(bodyType))) {
    return {
      ok: false,
      schema1: true,
      problem:
        'Docker schema 1 manifests are not supported; push with a current client (Docker 1.10 or later) or convert the image to schema 2 / OCI',
    };
  }
  if (doc['schemaVersion'] !== 2) return fail('manifest schemaVersion must be 2');

  const generic = headerType === '' || headerType === 'application/json' || headerType === 'application/octet-stream';
  if (bodyType !== undefined && !generic && bodyType !== headerType) {
    return fail(`manifest mediaType "${bodyType}" does not match Content-Type "${headerType}"`);
  }
  const mediaType = generic ? bodyType ?? inferMediaType(doc) : headerType;
  if (!mediaType) return fail('manifest media type is unknown: set Content-Type or the mediaType field');
  const kind = MANIFEST_KINDS[mediaType];
  if (!kind) return fail(`unsupported manifest media type "${mediaType}"`);

  const subject = doc['subject'] === undefined ? null : checkDescriptor(doc['subject'], 'subject');
  if (typeof subject === 'string') return fail(subject);
  const annotations = doc['annotations'] === undefined ? null : doc['annotations'];
  if (annotations !== null && !isStringMap(annotations)) return fail('annotations must map strings to strings');
  const artifactType = doc['artifactType'];
  if (artifactType !== undefined && typeof artifactType !== 'string') return fail('artifactType must be a string');

  return kind === 'image'
    ? parseImage(doc, mediaType, subject, annotations, artifactType)
    : parseIndex(doc, mediaType, subject, annotations, artifactType);
}

function parseImage(
  doc: Record<string, unknown>,
  mediaType: string,
  subject: Descriptor | null,
  annotations: Record<string, string> | null,
  artifactType: string | undefined,
): ManifestParse {
  if ('manifests' in doc) return fail('an image manifest must not have a "manifests" field');
  const config = checkDescriptor(doc['config'], 'config');
  if (typeof config === 'string') return fail(config);
  if (!Array.isArray(doc['layers'])) return fail('image manifest must have a "layers" array');
  const references: ManifestReference[] = [{ kind: 'config', digest: config.digest }];
  for (const [i, raw] of doc['layers'].entries()) {
    const layer = checkDescriptor(raw, `layers[${i}]`);
    if (typeof layer === 'string') return fail(layer);
    if (FOREIGN_LAYER_TYPES.has(layer.mediaType) && layer.urls && layer.urls.length > 0) continue;
    references.push({ kind: 'layer', digest: layer.digest });
  }
  if (mediaType === MediaType.DockerManifest && artifactType !== undefined) {
    return fail('Docker schema 2 manifests cannot carry artifactType');
  }
  return {
    ok: true,
    value: {
      mediaType,
      kind: 'image',
      artifactType: artifactType ?? config.mediaType,
      subject,
      annotations,
      references,
      children: [],
    },
  };
}

function parseIndex(
  doc: Record<string, unknown>,
  mediaType: string,
  subject: Descriptor | null,
  annotations: Record<string, string> | null,
  artifactType: string | undefined,
): ManifestParse {
  if (!Array.isArray(doc['manifests'])) return fail('index must have a "manifests" array');
  const children: Descriptor[] = [];
  for (const [i, raw] of doc['manifests'].entries()) {
    const child = checkDescriptor(raw, `manifests[${i}]`);
    if (typeof child === 'string') return fail(child);
    children.push(child);
  }
  return {
    ok: true,
    value: {
      mediaType,
      kind: 'index',
      artifactType: artifactType ?? null,
      subject,
      annotations,
      references: children.map((c) => ({ kind: 'manifest' as const, digest: c.digest })),
      children,
    },
  };
}

function inferMediaType(doc: Record<string, unknown>): string | undefined {
  if (Array.isArray(doc['manifests'])) return MediaType.OciIndex;
  if (isObject(doc['config']) && Array.isArray(doc['layers'])) return MediaType.OciManifest;
  return undefined;
}

/** Returns the descriptor, or a message naming the field at fault. */
function checkDescriptor(raw: unknown, where: string): Descriptor | string {
  if (!isObject(raw)) return `${where} must be a descriptor object`;
  const { mediaType, digest, size } = raw;
  if (typeof mediaType !== 'string' || mediaType.length === 0) return `${where}.mediaType must be a non-empty string`;
  if (typeof digest !== 'string') return `${where}.digest must be a string`;
  const parsed = parseDigest(digest);
  if (!parsed.ok) return `${where}.digest: ${parsed.problem}`;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return `${where}.size must be a non-negative integer`;
  }
  if (raw['urls'] !== undefined && (!Array.isArray(raw['urls']) || raw['urls'].some((u) => typeof u !== 'string'))) {
    return `${where}.urls must be an array of strings`;
  }
  if (raw['annotations'] !== undefined && !isStringMap(raw['annotations'])) {
    return `${where}.annotations must map strings to strings`;
  }
  return raw as unknown as Descriptor;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}
