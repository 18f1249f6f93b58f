import { DynamicModule, Module } from '@nestjs/common';
import { ApiHttpModule } from '@wharf/api-http';
import { AuthModule, AuthModuleOptions } from '@wharf/auth-http';
import type { WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { GcModule } from '@wharf/gc-http';
import { ImportModule } from '@wharf/import-http';
import { OrgModule } from '@wharf/org-http';
import type { Logger } from '@wharf/observability';
import { QueuesModule } from '@wharf/queues';
import { RegistryModule } from '@wharf/registry-http';

export type ServerConfig = WharfConfig & { databaseUrl: string; redisUrl: string; secretKey: string };

/** Composes every service's Nest module into one process for single-machine mode. */
@Module({})
export class AppModule {
  static forRoot(config: ServerConfig, logger: Logger, auth: Omit<AuthModuleOptions, 'config'> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot(config.databaseUrl, config),
        ApiHttpModule.forRoot(logger),
        QueuesModule.forRoot({ redisUrl: config.redisUrl, redisTimeoutMs: config.redisTimeoutMs, logger, relayOutbox: true }),
        AuthModule.forRoot({ config, ...auth }),
        OrgModule.forRoot(config),
        GcModule.forRoot(config),
        ImportModule.forRoot(config),
        RegistryModule.forRoot(config),
      ],
      controllers: [HealthController],
    };
  }
}
