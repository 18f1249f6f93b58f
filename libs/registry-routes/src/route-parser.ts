import { checkRepositoryName, truncate } from '@wharf/oci-spec';
import { OciError } from '@wharf/oci-errors';

/**
 * Parses a `/v2/...` request path into a typed route. Repository names contain `/`, so the
 * structural suffix (`/manifests/<ref>`, `/blobs/uploads/<id>`, …) is matched from the end and
 * everything before it is the name, which is then checked against the OCI name grammar.
 * Unknown shapes yield `null` (plain 404); a known shape with a bad name throws NAME_INVALID.
 */
export type RegistryRoute =
  | { kind: 'ping' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload-start'; name: string }
  | { kind: 'upload'; name: string; uploadId: string }
  | { kind: 'referrers'; name: string; digest: string };

type Shape = { re: RegExp; build: (name: string, arg: string) => RegistryRoute };

const SHAPES: readonly Shape[] = [
  { re: /^(.+)\/manifests\/([^/]+)$/, build: (name, reference) => ({ kind: 'manifest', name, reference }) },
  { re: /^(.+)\/blobs\/uploads\/?$/, build: (name) => ({ kind: 'upload-start', name }) },
  { re: /^(.+)\/blobs\/uploads\/([^/]+)$/, build: (name, uploadId) => ({ kind: 'upload', name, uploadId }) },
  { re: /^(.+)\/blobs\/([^/]+)$/, build: (name, digest) => ({ kind: 'blob', name, digest }) },
  { re: /^(.+)\/tags\/list$/, build: (name) => ({ kind: 'tags', name }) },
  { re: /^(.+)\/referrers\/([^/]+)$/, build: (name, digest) => ({ kind: 'referrers', name, digest }) },
];

export const V2_PREFIX = '/v2/';

/** `path` excludes the query string. Returns null for paths that are no registry route. */
export function parseRegistryPath(path: string): RegistryRoute | null {
  if (path === '/v2' || path === V2_PREFIX) return { kind: 'ping' };
  if (!path.startsWith(V2_PREFIX)) return null;
  const rest = path.slice(V2_PREFIX.length);
  if (rest === '_catalog') return { kind: 'catalog' };
  for (const shape of SHAPES) {
    const m = shape.re.exec(rest);
    if (!m) continue;
    const name = m[1] as string;
    const problem = checkRepositoryName(name);
    if (problem) throw new OciError('NAME_INVALID', problem, { name: truncate(name) });
    return shape.build(name, m[2] ?? '');
  }
  return null;
}

/** Splits a request URL into path and query parameters. */
export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  if (q < 0) return { path: url, query: new URLSearchParams() };
  return { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}
