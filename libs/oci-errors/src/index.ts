export * from './error-codes';
export * from './oci-error';
