export * from './org.module';
export * from './organizations.controller';
export * from './repositories.controller';
export * from './accounts.controller';
export * from './openapi';
