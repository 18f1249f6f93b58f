import { DynamicModule, Module } from '@nestjs/common';
import type { WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import type { Logger } from '@wharf/observability';
import { QueuesModule } from '@wharf/queues';
import { RegistryModule } from '@wharf/registry-http';

/**
 * The registry service on its own (one Deployment in Kubernetes). With REDIS_URL every replica
 * also relays registry events from the outbox to the `registry-events` queue.
 */
@Module({})
export class RegistryAppModule {
  static forRoot(config: WharfConfig & { databaseUrl: string }, logger: Logger): DynamicModule {
    const queues = config.redisUrl
      ? [QueuesModule.forRoot({ redisUrl: config.redisUrl, redisTimeoutMs: config.redisTimeoutMs, logger, relayOutbox: true })]
      : [];
    return {
      module: RegistryAppModule,
      imports: [DatabaseModule.forRoot(config.databaseUrl, config), ...queues, RegistryModule.forRoot(config)],
      controllers: [HealthController],
    };
  }
}
