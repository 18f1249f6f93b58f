export * from './metrics';
export * from './request-id';
export * from './logger';
