import { DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';
import { AccountService, AUDIT_LOG, AuditLog, CLOCK, Clock, IDENTITY_STORE, IdentityStore } from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgAccountStore, PgOrgStore, PgRepoStore } from '@wharf/database';
import {
  ACCOUNT_STORE,
  AccountAdminService,
  AccountStore,
  ORG_STORE,
  OrganizationService,
  OrgStore,
  REGISTRY_NOTIFIER,
  RegistryNotifier,
  REPO_STORE,
  RepositoryService,
  RepoStore,
} from '@wharf/org-core';
import { BroadcastRegistryNotifier } from '@wharf/registry-http';
import { BroadcastClient } from '@wharf/queues';
import { AccountsController } from './accounts.controller';
import { OrganizationsController } from './organizations.controller';
import { AuditController, RepositoriesController } from './repositories.controller';

/**
 * The `org` service's management API. Needs DatabaseModule and the (global) AuthModule for the
 * passport-jwt guard, the identity store and the audit log.
 */
const NOTIFIER = Symbol('ORG_REGISTRY_NOTIFIER');

@Module({})
export class OrgModule {
  static forRoot(config: Pick<WharfConfig, 'orgQuota' | 'publicUrl' | 'redisUrl' | 'redisTimeoutMs'>): DynamicModule {
    return {
      module: OrgModule,
      controllers: [OrganizationsController, RepositoriesController, AuditController, AccountsController],
      providers: [
        {
          // The registry's own notifier where it runs in this process (single-machine mode);
          // otherwise publish to the registry replicas over Redis.
          provide: NOTIFIER,
          useFactory: (registry?: RegistryNotifier): RegistryNotifier =>
            registry ??
            (config.redisUrl ? new BroadcastRegistryNotifier(new BroadcastClient(config.redisUrl, config.redisTimeoutMs), null) : { removed: async () => undefined }),
          inject: [{ token: REGISTRY_NOTIFIER, optional: true }],
        },
        { provide: ORG_STORE, useFactory: (pool: Pool) => new PgOrgStore(pool), inject: [PG_POOL] },
        {
          provide: OrganizationService,
          useFactory: (orgs: OrgStore, identity: IdentityStore, audit: AuditLog, n: RegistryNotifier) => new OrganizationService(orgs, identity, audit, config.orgQuota, n),
          inject: [ORG_STORE, IDENTITY_STORE, AUDIT_LOG, NOTIFIER],
        },
        { provide: REPO_STORE, useFactory: (pool: Pool) => new PgRepoStore(pool), inject: [PG_POOL] },
        {
          provide: RepositoryService,
          useFactory: (repos: RepoStore, identity: IdentityStore, audit: AuditLog, clock: Clock, n: RegistryNotifier) =>
            new RepositoryService(repos, identity, audit, clock, new URL(config.publicUrl).host, n),
          inject: [REPO_STORE, IDENTITY_STORE, AUDIT_LOG, CLOCK, NOTIFIER],
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
}
