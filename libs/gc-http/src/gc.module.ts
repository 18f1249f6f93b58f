import { randomUUID } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';
import { AUDIT_LOG, AuditLog } from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import { PG_POOL, PgGcRunStore } from '@wharf/database';
import { GC_QUEUE, GC_RUN_STORE, GcQueue, GcRunService, GcRunStore } from '@wharf/gc-core';
import { BullGcQueue, JobQueues } from '@wharf/queues';
import { gcSettings } from '@wharf/gc-worker';
import { GcController } from './gc.controller';

/**
 * The garbage-collection API in the `org` service (and single-machine mode). Needs DatabaseModule,
 * QueuesModule (the `gc` queue's producer) and AuthModule (guard, users, audit log). The runs
 * themselves are the `gc` worker's.
 */
@Module({})
export class GcModule {
  static forRoot(config: Pick<WharfConfig, 'gcGraceSeconds' | 'uploadTtlHours' | 'gcKeepUntagged'>): DynamicModule {
    const settings = gcSettings(config);
    return {
      module: GcModule,
      controllers: [GcController],
      providers: [
        { provide: GC_RUN_STORE, useFactory: (pool: Pool) => new PgGcRunStore(pool), inject: [PG_POOL] },
        { provide: GC_QUEUE, useFactory: (queues: JobQueues) => new BullGcQueue(queues), inject: [JobQueues] },
        {
          provide: GcRunService,
          useFactory: (runs: GcRunStore, queue: GcQueue, audit: AuditLog) => new GcRunService(runs, queue, audit, settings, randomUUID),
          inject: [GC_RUN_STORE, GC_QUEUE, AUDIT_LOG],
        },
      ],
    };
  }
}
