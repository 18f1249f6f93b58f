import { randomUUID } from 'node:crypto';
import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { Pool } from 'pg';
import type { WharfConfig } from '@wharf/config';
import { createRedisClient, PG_POOL, PgAuditLog, PgRegistryStore, ReadinessChecks } from '@wharf/database';
import { BroadcastClient } from '@wharf/queues';
import {
  BlobService,
  CachingRegistryStore,
  DOWNLOAD_COUNTER,
  DownloadCounter,
  noDownloadCounter,
  ManifestService,
  REGISTRY_LIMITS,
  REGISTRY_STORE,
  RegistryLimits,
  RegistryStore,
  STORAGE_DRIVER,
  UploadService,
} from '@wharf/registry-core';
import { JwksKeyCache } from '@wharf/auth-core';
import { REGISTRY_WRITER, RegistryWriter } from '@wharf/org-core';
import { createStorageDriver, StorageDriver } from '@wharf/storage';
import { clientAddressResolver } from '@wharf/util';
import { PathNotFoundError } from '@wharf/storage-api';
import { ACCESS_CONTROL, AccessControl, AllowAllAccess } from './access-control.port';
import { RedisDownloadCounter } from './redis-download-counter';
import { BroadcastingRegistryWriter, RegistryBroadcastsController } from './registry-broadcasts';
import { TokenAccessControl } from './token-access-control';
import { RegistryHttpHandler } from './registry-http.handler';

const PUSH_MS = 1_000;
const FLUSH_MS = 5_000;

/**
 * Nest wiring of the OCI data plane: ports (store, storage, access control, limits) and the
 * framework-free services and handler built from them. Needs DatabaseModule for the pool.
 * Access control: Docker token verification against the auth service's JWKS (WHARF_AUTH=token),
 * or everything allowed (WHARF_AUTH=none, development only).
 */
@Module({})
export class RegistryModule implements OnModuleInit, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    @Optional() @Inject(DOWNLOAD_COUNTER) private readonly downloads?: DownloadCounter,
    @Optional() @Inject(REGISTRY_WRITER) private readonly writer?: RegistryWriter,
  ) {}

  /** Every replica pushes its download counts to Redis every second and flushes them to Postgres every few. */
  async onModuleInit(): Promise<void> {
    const counter = this.downloads;
    if (counter instanceof RedisDownloadCounter) {
      this.timers = [
        setInterval(() => void counter.push().catch(() => undefined), PUSH_MS),
        setInterval(() => void counter.flush().catch(() => undefined), FLUSH_MS),
      ];
      for (const t of this.timers) t.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (this.writer instanceof BroadcastingRegistryWriter) await this.writer.close();
    if (this.downloads instanceof RedisDownloadCounter) {
      await this.downloads.flush().catch(() => undefined);
      this.downloads.close();
    }
  }

  static forRoot(config: WharfConfig, accessControl?: AccessControl): DynamicModule {
    const access = (store: RegistryStore): AccessControl =>
      accessControl ??
      (config.auth === 'none'
        ? new AllowAllAccess()
        : new TokenAccessControl(
            JwksKeyCache.fromConfig(config),
            { realm: `${config.publicUrl}/token`, service: config.tokenService, issuer: config.tokenIssuer },
            (name) => store.organizationId(name),
          ));
    const logger = new Logger('registry');
    return {
      module: RegistryModule,
      // Global: in single-machine mode the management API tells this registry's cache about deletes.
      global: true,
      // Event patterns only: heard where the app listens to broadcasts (listenFront's `broadcasts`).
      controllers: [RegistryBroadcastsController],
      providers: [
        {
          provide: REGISTRY_WRITER,
          useFactory: (manifests: ManifestService, store: RegistryStore): RegistryWriter =>
            new BroadcastingRegistryWriter(
              manifests,
              config.redisUrl ? new BroadcastClient(config.redisUrl, config.redisTimeoutMs) : null,
              store instanceof CachingRegistryStore ? store : null,
            ),
          inject: [ManifestService, REGISTRY_STORE],
        },
        {
          provide: STORAGE_DRIVER,
          useFactory: (checks: ReadinessChecks) => {
            const driver = createStorageDriver(config);
            // Listing the root answers on an empty store too (no such directory yet is fine).
            checks.add('storage', () => driver.list('/').catch((e) => (e instanceof PathNotFoundError ? [] : Promise.reject(e))));
            return driver;
          },
          inject: [ReadinessChecks],
        },
        {
          provide: REGISTRY_STORE,
          useFactory: (pool: Pool) =>
            new CachingRegistryStore(new PgRegistryStore(pool), { tagTtlMs: 1_000, contentTtlMs: 10_000, capacity: 50_000, maxBytes: 32 * 1024 * 1024 }),
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
        { provide: ACCESS_CONTROL, useFactory: access, inject: [REGISTRY_STORE] },
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
          provide: DOWNLOAD_COUNTER,
          useFactory: async (pool: Pool, checks: ReadinessChecks) => {
            if (!config.redisUrl) return noDownloadCounter;
            const { redis, ready } = createRedisClient(config.redisUrl, config.redisTimeoutMs);
            checks.add('redis', () => redis.ping());
            await ready;
            return new RedisDownloadCounter(redis, pool);
          },
          inject: [PG_POOL, ReadinessChecks],
        },
        {
          provide: ManifestService,
          useFactory: (s: RegistryStore, l: RegistryLimits, d: DownloadCounter) => new ManifestService(s, l, d),
          inject: [REGISTRY_STORE, REGISTRY_LIMITS, DOWNLOAD_COUNTER],
        },
        {
          provide: RegistryHttpHandler,
          useFactory: (b: BlobService, u: UploadService, m: ManifestService, a: AccessControl, l: RegistryLimits, pool: Pool) =>
            new RegistryHttpHandler(
              b,
              u,
              m,
              a,
              l,
              { error: (message, fields) => logger.error(JSON.stringify({ message, ...fields })) },
              new PgAuditLog(pool),
              clientAddressResolver(config.trustedProxies),
            ),
          inject: [BlobService, UploadService, ManifestService, ACCESS_CONTROL, REGISTRY_LIMITS, PG_POOL],
        },
      ],
      exports: [RegistryHttpHandler, STORAGE_DRIVER, REGISTRY_STORE, DOWNLOAD_COUNTER, REGISTRY_WRITER],
    };
  }
}
