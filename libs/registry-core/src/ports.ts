/** Side effects the registry services take through injection (Immich-style ports). */
export const STORAGE_DRIVER = Symbol('STORAGE_DRIVER');
export const REGISTRY_LIMITS = Symbol('REGISTRY_LIMITS');
export const ID_GENERATOR = Symbol('ID_GENERATOR');

export interface RegistryLimits {
  maxLayerBytes: number;
  maxManifestBytes: number;
  /** Answer blob GETs with a redirect to the storage's presigned URL when it has one. */
  redirectBlobs: boolean;
}

export type IdGenerator = () => string;
