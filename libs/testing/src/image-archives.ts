import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Image archives for tests, byte by byte, so that each can be broken in exactly one way: a tar
 * writer (files, directories, links, devices, long names through pax) and `docker save` and OCI
 * image layout archives built with it.
 */
export interface TarMember {
  name: string;
  content?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink' | 'fifo';
  linkname?: string;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', directory: '5', fifo: '6' } as const;
const MTIME = Math.floor(Date.UTC(2026, 0, 1) / 1000);

function header(name: string, size: number, typeflag: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${MTIME.toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write(typeflag, 156);
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function padded(data: Buffer): Buffer[] {
  const pad = (512 - (data.length % 512)) % 512;
  return pad ? [data, Buffer.alloc(pad)] : [data];
}

/** A ustar archive of `members` in order (names over 100 bytes get a pax header), with the two end blocks. */
export function tarArchive(members: TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? 'file';
    const content = type === 'file' ? Buffer.from(m.content ?? '') : Buffer.alloc(0);
    if (Buffer.byteLength(m.name) > 100) {
      const record = (len: number) => `${len} path=${m.name}\n`;
      let len = record(0).length;
      while (record(len).length !== len) len = record(len).length;
      const pax = Buffer.from(record(len));
      parts.push(header('PaxHeader', pax.length, 'x'), ...padded(pax));
    }
    parts.push(header(m.name.slice(0, 100), content.length, TYPEFLAG[type], m.linkname ?? ''), ...padded(content));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface ArchiveImage {
  repoTags: string[];
  /** Each layer's files: a layer is a tar of them. */
  layers: Record<string, string>[];
}

export interface BuiltArchive {
  members: TarMember[];
  /** The config digest (the image ID) of each image, in order. */
  imageIds: string[];
}

/**
 * The members of a `docker save` archive as Docker before 25 writes it: `<id>/layer.tar` per layer,
 * `<config hex>.json`, `manifest.json` and `repositories`. Pass them to `tarArchive`, changed or not.
 */
export function dockerSaveMembers(images: ArchiveImage[]): BuiltArchive {
  const members: TarMember[] = [];
  const manifest: unknown[] = [];
  const imageIds: string[] = [];
  images.forEach((image, i) => {
    const layers = image.layers.map((files) => tarArchive(Object.entries(files).map(([name, content]) => ({ name, content }))));
    const diffIds = layers.map(sha256);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: [{ created_by: `image ${i}` }] }),
    );
    const id = sha256(config);
    imageIds.push(id);
    const layerPaths = layers.map((layer, j) => {
      const dir = createHash('sha256').update(`${id}/${j}`).digest('hex');
      members.push({ name: `${dir}/`, type: 'directory' }, { name: `${dir}/VERSION`, content: '1.0' }, { name: `${dir}/layer.tar`, content: layer });
      return `${dir}/layer.tar`;
    });
    members.push({ name: `${id.slice(7)}.json`, content: config });
    manifest.push({ Config: `${id.slice(7)}.json`, RepoTags: image.repoTags, Layers: layerPaths });
  });
  members.push({ name: 'manifest.json', content: JSON.stringify(manifest) }, { name: 'repositories', content: '{}' });
  return { members, imageIds };
}

/**
 * The members of an OCI image layout archive: one image per entry of `images`, its layers gzipped
 * (as `skopeo copy … oci-archive:` writes them), named by `org.opencontainers.image.ref.name`.
 */
export function ociLayoutMembers(images: (ArchiveImage & { refName: string })[]): BuiltArchive {
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer) => {
    blobs.set(sha256(b), b);
    return { digest: sha256(b), size: b.length };
  };
  const imageIds: string[] = [];
  const entries = images.map((image) => {
    const layers = image.layers.map((files) => tarArchive(Object.entries(files).map(([name, content]) => ({ name, content }))));
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) } })));
    imageIds.push(config.digest);
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(l)) })),
        }),
      ),
    );
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': image.refName } };
  });
  const members: TarMember[] = [...blobs].map(([digest, content]) => ({ name: `blobs/sha256/${digest.slice(7)}`, content }));
  members.push(
    { name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }) },
  );
  return { members, imageIds };
}
