export * from './require-service';
