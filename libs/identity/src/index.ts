export * from './permissions';
export * from './credentials';
export * from './scope';
