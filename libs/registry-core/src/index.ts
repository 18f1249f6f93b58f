export * from './ports';
export * from './registry-store.port';
export * from './storage-layout';
export * from './blob.service';
export * from './upload.service';
export * from './manifest.service';
export * from './caching-registry.store';
export * from './download-counter.port';
