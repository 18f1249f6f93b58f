import { randomUUID } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';
import { ACCESS_STORE, AccessStore, AUDIT_LOG, AuditLog, USER_STORE, UserStore } from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgImportStore } from '@wharf/database';
import { ImportService, StorageArchiveStore, uploadSettings } from '@wharf/import-core';
import { BullImportQueue, JobQueues } from '@wharf/queues';
import { createStorageDriver } from '@wharf/storage';
import { OrgImportAccess } from './org-import.access';
import { UploadsController } from './uploads.controller';

/**
 * Page upload's API in the `org` service (and single-machine mode). Needs DatabaseModule,
 * QueuesModule (the `imports` queue's producer) and AuthModule (guard, users, access facts, audit
 * log). The archives go to the blob storage; the imports themselves are the `builder` worker's.
 */
@Module({})
export class ImportModule {
  static forRoot(config: WharfConfig): DynamicModule {
    return {
      module: ImportModule,
      controllers: [UploadsController],
      providers: [
        {
          provide: ImportService,
          useFactory: (pool: Pool, queues: JobQueues, users: UserStore, access: AccessStore, audit: AuditLog) =>
            new ImportService(
              new PgImportStore(pool),
              new BullImportQueue(queues),
              new StorageArchiveStore(createStorageDriver(config)),
              new OrgImportAccess(users, access),
              audit,
              uploadSettings(config),
              randomUUID,
            ),
          inject: [PG_POOL, JobQueues, USER_STORE, ACCESS_STORE, AUDIT_LOG],
        },
      ],
    };
  }
}
