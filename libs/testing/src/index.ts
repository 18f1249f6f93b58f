export * from './require-service';
export * from './oci-client';
export * from './fake-port';
export * from './image-archives';
