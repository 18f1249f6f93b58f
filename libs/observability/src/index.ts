export * from './metrics';
export * from './request-id';
