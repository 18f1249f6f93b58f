import { randomUUID } from 'node:crypto';
import { DynamicModule, Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Pool } from 'pg';
import {
  ACCESS_STORE,
  AccessStore,
  AccountService,
  AUDIT_LOG,
  AuditLog,
  CLOCK,
  Clock,
  ROBOT_STORE,
  RobotStore,
  USER_STORE,
  UserStore,
} from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgAccountStore, PgAuditLog, PgOrgStore, PgRegistryStore, PgRepoStore, PgRetentionStore, PgShareStore } from '@wharf/database';
import { RetentionService } from '@wharf/gc-core';
import {
  ACCOUNT_STORE,
  AccountAdminService,
  AccountStore,
  ORG_STORE,
  OrganizationService,
  OrgStore,
  REGISTRY_WRITER,
  RegistryWriter,
  AUDIT_SEARCH,
  AuditSearch,
  REPO_STORE,
  SHARE_STORE,
  ShareStore,
  RepositoryService,
  RepoStore,
} from '@wharf/org-core';
import { BroadcastingRegistryWriter } from '@wharf/registry-http';
import { ManifestService } from '@wharf/registry-core';
import { BroadcastClient } from '@wharf/queues';
import { AccountsController } from './accounts.controller';
import { OrganizationsController } from './organizations.controller';
import { AuditController, RepositoriesController } from './repositories.controller';
import { RetentionController } from './retention.controller';

/**
 * The `org` service's management API. Needs DatabaseModule and the (global) AuthModule for the
 * passport-jwt guard, the identity store and the audit log.
 */
const WRITER = Symbol('ORG_REGISTRY_WRITER');

@Module({})
export class OrgModule implements OnApplicationShutdown {
  constructor(
    @Inject(WRITER) private readonly writer: RegistryWriter,
    @Optional() @Inject(REGISTRY_WRITER) private readonly registryWriter?: RegistryWriter,
  ) {}

  static forRoot(
    config: Pick<WharfConfig, 'orgQuota' | 'publicUrl' | 'redisUrl' | 'redisTimeoutMs' | 'maxLayerBytes' | 'maxManifestBytes'>,
  ): DynamicModule {
    return {
      module: OrgModule,
      controllers: [OrganizationsController, RepositoriesController, RetentionController, AuditController, AccountsController],
      providers: [
        {
          // The registry's own writer where it runs in this process (single-machine mode); otherwise
          // registry-core over the registry's tables here, telling the replicas over Redis.
          provide: WRITER,
          useFactory: (pool: Pool, registry?: RegistryWriter): RegistryWriter =>
            registry ??
            new BroadcastingRegistryWriter(
              new ManifestService(new PgRegistryStore(pool), { maxLayerBytes: config.maxLayerBytes, maxManifestBytes: config.maxManifestBytes, redirectBlobs: false }),
              config.redisUrl ? new BroadcastClient(config.redisUrl, config.redisTimeoutMs) : null,
              null,
            ),
          inject: [PG_POOL, { token: REGISTRY_WRITER, optional: true }],
        },
        { provide: ORG_STORE, useFactory: (pool: Pool) => new PgOrgStore(pool), inject: [PG_POOL] },
        {
          provide: OrganizationService,
          useFactory: (orgs: OrgStore, access: AccessStore, users: UserStore, robots: RobotStore, audit: AuditLog, n: RegistryWriter) =>
            new OrganizationService(orgs, access, users, robots, audit, config.orgQuota, n),
          inject: [ORG_STORE, ACCESS_STORE, USER_STORE, ROBOT_STORE, AUDIT_LOG, WRITER],
        },
        { provide: REPO_STORE, useFactory: (pool: Pool) => new PgRepoStore(pool), inject: [PG_POOL] },
        { provide: SHARE_STORE, useFactory: (pool: Pool) => new PgShareStore(pool), inject: [PG_POOL] },
        { provide: AUDIT_SEARCH, useFactory: (pool: Pool) => new PgAuditLog(pool), inject: [PG_POOL] },
        {
          provide: RepositoryService,
          useFactory: (repos: RepoStore, shares: ShareStore, search: AuditSearch, access: AccessStore, users: UserStore, audit: AuditLog, clock: Clock, n: RegistryWriter) =>
            new RepositoryService(repos, shares, search, access, users, audit, clock, new URL(config.publicUrl).host, n),
          inject: [REPO_STORE, SHARE_STORE, AUDIT_SEARCH, ACCESS_STORE, USER_STORE, AUDIT_LOG, CLOCK, WRITER],
        },
        {
          provide: RetentionService,
          useFactory: (pool: Pool, repos: RepositoryService, n: RegistryWriter, audit: AuditLog) =>
            new RetentionService(new PgRetentionStore(pool), repos, n, audit, randomUUID),
          inject: [PG_POOL, RepositoryService, WRITER, AUDIT_LOG],
        },
        { provide: ACCOUNT_STORE, useFactory: (pool: Pool) => new PgAccountStore(pool), inject: [PG_POOL] },
        {
          provide: AccountAdminService,
          useFactory: (store: AccountStore, accounts: AccountService, audit: AuditLog) => new AccountAdminService(store, accounts, audit),
          inject: [ACCOUNT_STORE, AccountService, AUDIT_LOG],
        },
      ],
    };
  }

  /** Closes the writer it made (a registry module in this process closes its own). */
  async onApplicationShutdown(): Promise<void> {
    if (this.writer !== this.registryWriter && this.writer instanceof BroadcastingRegistryWriter) await this.writer.close();
  }
}
