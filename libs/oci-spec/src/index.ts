export * from './reference';
export * from './digest';
export * from './media-types';
export * from './manifest';
