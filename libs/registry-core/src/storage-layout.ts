import type { ParsedDigest } from '@wharf/oci-spec';

/**
 * Where the registry keeps bytes in a StorageDriver. One copy per digest for the whole registry:
 *   /blobs/<algorithm>/<first two hex>/<hex>/data
 *   /uploads/<upload uuid>/data
 */
export const StorageLayout = {
  blob(d: ParsedDigest): string {
    return `/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}/data`;
  },
  uploadDir(id: string): string {
    return `/uploads/${id}`;
  },
  upload(id: string): string {
    return `/uploads/${id}/data`;
  },
} as const;
