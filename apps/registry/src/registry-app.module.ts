import { DynamicModule, Module } from '@nestjs/common';
import type { WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { RegistryModule } from '@wharf/registry-http';

/** The registry service on its own (one Deployment in Kubernetes). */
@Module({})
export class RegistryAppModule {
  static forRoot(config: WharfConfig & { databaseUrl: string }): DynamicModule {
    return {
      module: RegistryAppModule,
      imports: [DatabaseModule.forRoot(config.databaseUrl, config), RegistryModule.forRoot(config)],
      controllers: [HealthController],
    };
  }
}
