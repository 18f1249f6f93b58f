/** Media types the registry understands (OCI image spec v1.1 and Docker image manifest v2). */
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  OciNondistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciNondistributableLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciNondistributableLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const;

export type ManifestKind = 'image' | 'index';

/** Manifest media types accepted on PUT, with their structural kind. */
export const MANIFEST_KINDS: Readonly<Record<string, ManifestKind>> = {
  [MediaType.OciManifest]: 'image',
  [MediaType.DockerManifest]: 'image',
  [MediaType.OciIndex]: 'index',
  [MediaType.DockerManifestList]: 'index',
};

export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MediaType.DockerSchema1, MediaType.DockerSchema1Signed]);

/** Layers a registry must not require to be present: they are fetched from their `urls`. */
export const FOREIGN_LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaType.DockerForeignLayer,
  MediaType.OciNondistributableLayer,
  MediaType.OciNondistributableLayerGzip,
  MediaType.OciNondistributableLayerZstd,
]);
