export * from './gc.processor';
