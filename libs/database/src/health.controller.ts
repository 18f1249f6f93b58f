import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { ReadinessChecks } from './readiness';

/** Liveness, and readiness: every dependency this process needs answers (Postgres, Redis, storage). */
@ApiExcludeController() // operations endpoints, not the management API
@Controller()
export class HealthController {
  constructor(private readonly checks: ReadinessChecks) {}

  @Get('healthz')
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** 200 `{status: "ready"}`, or 503 `{status: "not ready", failed: {<dependency>: <why>}}`. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; failed?: Record<string, string> }> {
    const failed = await this.checks.failures();
    if (Object.keys(failed).length === 0) return { status: 'ready' };
    res.status(503).setHeader('retry-after', '5');
    return { status: 'not ready', failed };
  }
}
