export * from './auth.module';
export * from './jwt.strategy';
export * from './http-errors';
export * from './redis-login-rate-limiter';
export * from './token.controller';
