export * from './org.module';
export * from './organizations.controller';
