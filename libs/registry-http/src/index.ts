export * from './access-control.port';
export * from './http-io';
export * from './registry-http.handler';
export * from './registry.module';
export * from './front-server';
export * from './token-access-control';
export * from './redis-download-counter';
export * from './young-gc-pacer';
