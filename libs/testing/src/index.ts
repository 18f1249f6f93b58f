export * from './require-service';
export * from './oci-client';
