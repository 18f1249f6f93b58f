import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { createPool } from './data-source';
import { ReadinessChecks } from './readiness';

export const PG_POOL = Symbol('PG_POOL');

/** Provides the shared `pg` pool and closes it when the application shuts down. */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  static forRoot(databaseUrl: string, timeouts?: { dbStatementTimeoutMs: number; dbConnectTimeoutMs: number }): DynamicModule {
    const t = timeouts ? { statementTimeoutMs: timeouts.dbStatementTimeoutMs, connectTimeoutMs: timeouts.dbConnectTimeoutMs } : undefined;
    return {
      module: DatabaseModule,
      providers: [
        { provide: PG_POOL, useFactory: () => createPool(databaseUrl, 20, t) },
        { provide: ReadinessChecks, useFactory: (pool: Pool) => new ReadinessChecks().add('postgres', () => pool.query('SELECT 1')), inject: [PG_POOL] },
      ],
      exports: [PG_POOL, ReadinessChecks],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
