import { DynamicModule, Module } from '@nestjs/common';
import type { WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { RegistryModule } from '@wharf/registry-http';

/** Composes every service's Nest module into one process for single-machine mode. */
@Module({})
export class AppModule {
  static forRoot(config: WharfConfig & { databaseUrl: string }): DynamicModule {
    return {
      module: AppModule,
      imports: [DatabaseModule.forRoot(config.databaseUrl), RegistryModule.forRoot(config)],
      controllers: [HealthController],
    };
  }
}
