import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from './database.module';

/** Liveness and readiness (readiness checks the database the data plane needs). */
@Controller()
export class HealthController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Get('healthz')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(): Promise<{ status: string }> {
    try {
      await this.pool.query('SELECT 1');
      return { status: 'ready' };
    } catch (err) {
      throw new ServiceUnavailableException(`database unreachable: ${(err as Error).message}`);
    }
  }
}
