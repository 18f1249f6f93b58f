export * from './registry-events.processor';
