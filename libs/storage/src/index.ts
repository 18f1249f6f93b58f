export * from './storage-driver';
export * from './filesystem.driver';
export * from './s3.driver';
export * from './storage.factory';
