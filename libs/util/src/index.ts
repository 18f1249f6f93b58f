export * from './ttl-cache';
export * from './api-errors';
