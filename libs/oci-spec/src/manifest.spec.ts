import { parseManifest } from './manifest';
import { MediaType } from './media-types';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const image = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 20 }],
};
const buf = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parseManifest', () => {
  it('parses an OCI image manifest and lists config and layers as references', () => {
    const r = parseManifest(buf(image), MediaType.OciManifest);
    expect(r.ok && r.value).toMatchObject({
      kind: 'image',
      mediaType: MediaType.OciManifest,
      artifactType: 'application/vnd.oci.image.config.v1+json',
      references: [
        { kind: 'config', digest: d('a') },
        { kind: 'layer', digest: d('b') },
      ],
    });
  });

  it('infers the media type from the body when Content-Type is generic', () => {
    const r = parseManifest(buf(image), 'application/json');
    expect(r.ok && r.value.mediaType).toBe(MediaType.OciManifest);
  });

  it('parses an index and its children with platforms', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciManifest, digest: d('c'), size: 5, platform: { os: 'linux', architecture: 'arm64' } }],
    };
    const r = parseManifest(buf(index), MediaType.OciIndex);
    expect(r.ok && r.value.references).toEqual([{ kind: 'manifest', digest: d('c') }]);
  });

  it('records subject and artifactType of an artifact', () => {
    const artifact = { ...image, artifactType: 'application/vnd.example.sbom', subject: { mediaType: MediaType.OciManifest, digest: d('e'), size: 1 } };
    const r = parseManifest(buf(artifact), MediaType.OciManifest);
    expect(r.ok && r.value.subject?.digest).toBe(d('e'));
    expect(r.ok && r.value.artifactType).toBe('application/vnd.example.sbom');
  });

  it('does not require foreign layers with urls to be present', () => {
    const foreign = {
      ...image,
      mediaType: MediaType.DockerManifest,
      layers: [{ mediaType: MediaType.DockerForeignLayer, digest: d('f'), size: 1, urls: ['https://example.invalid/x'] }],
    };
    const r = parseManifest(buf(foreign), MediaType.DockerManifest);
    expect(r.ok && r.value.references).toEqual([{ kind: 'config', digest: d('a') }]);
  });

  it.each([
    ['not JSON', Buffer.from('{'), MediaType.OciManifest, 'not valid JSON'],
    ['an array', buf([]), MediaType.OciManifest, 'must be a JSON object'],
    ['schema 1', buf({ schemaVersion: 1, name: 'x', fsLayers: [] }), MediaType.DockerSchema1Signed, 'schema 1 manifests are not supported'],
    ['schemaVersion 3', buf({ ...image, schemaVersion: 3 }), MediaType.OciManifest, 'schemaVersion must be 2'],
    ['mismatched mediaType', buf(image), MediaType.DockerManifest, 'does not match Content-Type'],
    ['unknown media type', buf({ ...image, mediaType: undefined }), 'application/vnd.example+json', 'unsupported manifest media type'],
    ['missing config', buf({ ...image, config: undefined }), MediaType.OciManifest, 'config must be a descriptor'],
    ['bad layer digest', buf({ ...image, layers: [{ mediaType: 'x', digest: 'sha256:xyz', size: 1 }] }), MediaType.OciManifest, 'layers[0].digest'],
    ['negative size', buf({ ...image, layers: [{ mediaType: 'x', digest: d('b'), size: -1 }] }), MediaType.OciManifest, 'layers[0].size'],
    ['index without manifests', buf({ schemaVersion: 2, mediaType: MediaType.OciIndex }), MediaType.OciIndex, 'must have a "manifests" array'],
    ['image with manifests', buf({ ...image, manifests: [] }), MediaType.OciManifest, 'must not have a "manifests"'],
    ['non-string annotations', buf({ ...image, annotations: { a: 1 } }), MediaType.OciManifest, 'annotations must map strings'],
  ])('refuses %s with a message naming the problem', (_label, body, type, problem) => {
    const r = parseManifest(body, type);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toContain(problem);
  });
});
