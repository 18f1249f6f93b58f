export * from './metrics';
export * from './request-id';
export * from './logger';
export * from './request-user';
export * from './nest-logger';
