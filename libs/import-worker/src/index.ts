export * from './registry-image.pusher';
export * from './import.processor';
