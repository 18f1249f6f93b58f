import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tarArchive } from '@wharf/testing';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Writes an OCI image layout directory holding an index with one image per platform (each a
 * config and one uncompressed layer), tagged `tag`. Returns the index bytes' digest.
 */
export function writeMultiPlatformLayout(dir: string, tag: string, platforms: { os: string; architecture: string }[]): string {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (b: Buffer) => {
    const hex = sha(b);
    writeFileSync(join(dir, 'blobs/sha256', hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const manifests = platforms.map((p) => {
    const layer = put(tarArchive([{ name: 'platform.txt', content: `${p.os}/${p.architecture}\n` }]));
    const config = put(
      Buffer.from(JSON.stringify({ ...p, rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    );
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...put(manifest), platform: p };
  });
  const index = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return index.digest;
}
