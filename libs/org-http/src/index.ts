export * from './org.module';
export * from './organizations.controller';
export * from './repositories.controller';
