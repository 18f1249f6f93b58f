export * from './api-error.filter';
export * from './api-query';
export * from './api-http.module';
export * from './client-address';
export * from './current-user.decorator';
export * from './jwt-auth.guard';
export * from './validation';
export * from './api-service';
