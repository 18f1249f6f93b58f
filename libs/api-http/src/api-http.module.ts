import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { Logger } from '@wharf/observability';
import { ApiErrorFilter } from './api-error.filter';
import { apiValidationPipe } from './validation';

/** The management API's global pieces: the error filter (SPEC envelope) and the validation pipe. Import once per app. */
@Global()
@Module({})
export class ApiHttpModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: ApiHttpModule,
      providers: [
        { provide: APP_FILTER, useFactory: () => new ApiErrorFilter(logger) },
        { provide: APP_PIPE, useFactory: apiValidationPipe },
      ],
    };
  }
}
