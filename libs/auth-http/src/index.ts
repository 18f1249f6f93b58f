export * from './auth.module';
export * from './auth.dto';
export * from './docker-error.filter';
export * from './redis-login-rate-limiter';
export * from './token.controller';
