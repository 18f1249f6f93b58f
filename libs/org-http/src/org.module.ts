import { DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';
import { AUDIT_LOG, AuditLog, CLOCK, Clock, IDENTITY_STORE, IdentityStore } from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgOrgStore, PgRepoStore } from '@wharf/database';
import { ORG_STORE, OrganizationService, OrgStore, REPO_STORE, RepositoryService, RepoStore } from '@wharf/org-core';
import { OrganizationsController } from './organizations.controller';
import { AuditController, RepositoriesController } from './repositories.controller';

/**
 * The `org` service's management API. Needs DatabaseModule and the (global) AuthModule for the
 * passport-jwt guard, the identity store and the audit log.
 */
@Module({})
export class OrgModule {
  static forRoot(config: Pick<WharfConfig, 'orgQuota' | 'publicUrl'>): DynamicModule {
    return {
      module: OrgModule,
      controllers: [OrganizationsController, RepositoriesController, AuditController],
      providers: [
        { provide: ORG_STORE, useFactory: (pool: Pool) => new PgOrgStore(pool), inject: [PG_POOL] },
        {
          provide: OrganizationService,
          useFactory: (orgs: OrgStore, identity: IdentityStore, audit: AuditLog) => new OrganizationService(orgs, identity, audit, config.orgQuota),
          inject: [ORG_STORE, IDENTITY_STORE, AUDIT_LOG],
        },
        { provide: REPO_STORE, useFactory: (pool: Pool) => new PgRepoStore(pool), inject: [PG_POOL] },
        {
          provide: RepositoryService,
          useFactory: (repos: RepoStore, orgs: OrgStore, audit: AuditLog, clock: Clock) => new RepositoryService(repos, orgs, audit, clock, new URL(config.publicUrl).host),
          inject: [REPO_STORE, ORG_STORE, AUDIT_LOG, CLOCK],
        },
      ],
    };
  }
}
