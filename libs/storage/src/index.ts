export * from '@wharf/storage-api';
export * from './filesystem.driver';
export * from './s3.driver';
export * from './storage.factory';
