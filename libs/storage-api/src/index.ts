export * from './storage-driver';
