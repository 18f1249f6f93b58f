import { BeforeApplicationShutdown, DynamicModule, Global, Inject, Module, OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL, ReadinessChecks } from '@wharf/database';
import type { Logger } from '@wharf/observability';
import { JobQueues } from './job-queues';
import { OutboxRelay } from './outbox-relay';

export interface QueuesOptions {
  redisUrl: string;
  redisTimeoutMs: number;
  logger: Logger;
  /** Run the outbox relay in this process (every registry replica and single-machine mode do). */
  relayOutbox: boolean;
}

/**
 * The queue producers (`JobQueues`, global) and, where asked, the outbox relay. Needs
 * DatabaseModule. Adds a `queues` readiness check. Stops the relay and closes the queues before
 * the pool closes.
 */
@Global()
@Module({})
export class QueuesModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly queues: JobQueues,
    @Optional() @Inject(OutboxRelay) private readonly relay?: OutboxRelay,
  ) {}

  static forRoot(o: QueuesOptions): DynamicModule {
    return {
      module: QueuesModule,
      providers: [
        {
          provide: JobQueues,
          useFactory: (checks: ReadinessChecks) => {
            const queues = new JobQueues(o.redisUrl, o.redisTimeoutMs);
            checks.add('queues', () => queues.queue('registry-events').getJobCounts('waiting'));
            return queues;
          },
          inject: [ReadinessChecks],
        },
        ...(o.relayOutbox
          ? [{ provide: OutboxRelay, useFactory: (pool: Pool, q: JobQueues) => new OutboxRelay(pool, q, o.logger), inject: [PG_POOL, JobQueues] }]
          : []),
      ],
      exports: [JobQueues],
    };
  }

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.queues.close();
  }
}
