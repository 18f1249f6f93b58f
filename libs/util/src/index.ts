export * from './ttl-cache';
export * from './domain-errors';
export * from './process-guard';
export * from './client-address';
export * from './close-gracefully';
export * from './fetch-json';
export * from './for-each-limit';
