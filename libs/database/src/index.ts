export * from './data-source';
export * from './pg-registry.store';
export * from './database.module';
export * from './health.controller';
export * from './pg-identity.store';
export * from './pg-org.store';
export * from './pg-repo.store';
export * from './db-errors';
