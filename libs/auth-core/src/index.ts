export * from './ports';
export * from './signing-key-ring';
export * from './credential-verifier';
export * from './token-issuer';
export * from './account.service';
export * from './jwks-key-cache';
