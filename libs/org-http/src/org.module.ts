import { DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';
import { AUDIT_LOG, AuditLog, IDENTITY_STORE, IdentityStore } from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgOrgStore } from '@wharf/database';
import { ORG_STORE, OrganizationService, OrgStore } from '@wharf/org-core';
import { OrganizationsController } from './organizations.controller';

/**
 * The `org` service's management API. Needs DatabaseModule and the (global) AuthModule for the
 * passport-jwt guard, the identity store and the audit log.
 */
@Module({})
export class OrgModule {
  static forRoot(config: Pick<WharfConfig, 'orgQuota'>): DynamicModule {
    return {
      module: OrgModule,
      controllers: [OrganizationsController],
      providers: [
        { provide: ORG_STORE, useFactory: (pool: Pool) => new PgOrgStore(pool), inject: [PG_POOL] },
        {
          provide: OrganizationService,
          useFactory: (orgs: OrgStore, identity: IdentityStore, audit: AuditLog) => new OrganizationService(orgs, identity, audit, config.orgQuota),
          inject: [ORG_STORE, IDENTITY_STORE, AUDIT_LOG],
        },
      ],
    };
  }
}
