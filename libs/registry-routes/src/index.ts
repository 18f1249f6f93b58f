export * from './route-parser';
