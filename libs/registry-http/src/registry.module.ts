import { randomUUID } from 'node:crypto';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { Pool } from 'pg';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgRegistryStore } from '@wharf/database';
import {
  BlobService,
  CachingRegistryStore,
  ManifestService,
  REGISTRY_LIMITS,
  REGISTRY_STORE,
  RegistryLimits,
  RegistryStore,
  STORAGE_DRIVER,
  UploadService,
} from '@wharf/registry-core';
import { createStorageDriver, StorageDriver } from '@wharf/storage';
import { ACCESS_CONTROL, AccessControl, AllowAllAccess } from './access-control.port';
import { JwksKeyCache, TokenAccessControl } from './token-access-control';
import { RegistryHttpHandler } from './registry-http.handler';

/**
 * Nest wiring of the OCI data plane: ports (store, storage, access control, limits) and the
 * framework-free services and handler built from them. Needs DatabaseModule for the pool.
 * Access control: Docker token verification against the auth service's JWKS (WHARF_AUTH=token),
 * or everything allowed (WHARF_AUTH=none, development only).
 */
@Module({})
export class RegistryModule {
  static forRoot(config: WharfConfig, accessControl?: AccessControl): DynamicModule {
    const access =
      accessControl ??
      (config.auth === 'none'
        ? new AllowAllAccess()
        : new TokenAccessControl(new JwksKeyCache(config.jwksUrl), {
            realm: `${config.publicUrl}/token`,
            service: config.tokenService,
            issuer: config.tokenIssuer,
            jwksUrl: config.jwksUrl,
          }));
    const logger = new Logger('registry');
    return {
      module: RegistryModule,
      providers: [
        { provide: STORAGE_DRIVER, useFactory: () => createStorageDriver(config) },
        {
          provide: REGISTRY_STORE,
          useFactory: (pool: Pool) =>
            new CachingRegistryStore(new PgRegistryStore(pool), { tagTtlMs: 1_000, contentTtlMs: 10_000, capacity: 50_000 }),
          inject: [PG_POOL],
        },
        {
          provide: REGISTRY_LIMITS,
          useValue: {
            maxLayerBytes: config.maxLayerBytes,
            maxManifestBytes: config.maxManifestBytes,
            redirectBlobs: config.s3?.redirect ?? false,
          } satisfies RegistryLimits,
        },
        { provide: ACCESS_CONTROL, useValue: access },
        {
          provide: BlobService,
          useFactory: (s: RegistryStore, d: StorageDriver, l: RegistryLimits) => new BlobService(s, d, l),
          inject: [REGISTRY_STORE, STORAGE_DRIVER, REGISTRY_LIMITS],
        },
        {
          provide: UploadService,
          useFactory: (s: RegistryStore, d: StorageDriver, l: RegistryLimits) => new UploadService(s, d, l, randomUUID),
          inject: [REGISTRY_STORE, STORAGE_DRIVER, REGISTRY_LIMITS],
        },
        {
          provide: ManifestService,
          useFactory: (s: RegistryStore, l: RegistryLimits) => new ManifestService(s, l),
          inject: [REGISTRY_STORE, REGISTRY_LIMITS],
        },
        {
          provide: RegistryHttpHandler,
          useFactory: (b: BlobService, u: UploadService, m: ManifestService, a: AccessControl, l: RegistryLimits) =>
            new RegistryHttpHandler(b, u, m, a, l, {
              error: (message, fields) => logger.error(JSON.stringify({ message, ...fields })),
            }),
          inject: [BlobService, UploadService, ManifestService, ACCESS_CONTROL, REGISTRY_LIMITS],
        },
      ],
      exports: [RegistryHttpHandler, STORAGE_DRIVER, REGISTRY_STORE],
    };
  }
}
