import type { Server } from 'node:http';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { createLogger, Logger, Metrics, nestLoggerOf, requestIdMiddleware } from '@wharf/observability';
import { closeGracefully } from '@wharf/util';
import { tlsFiles } from '@wharf/registry-http';
import { ApiHttpModule } from './api-http.module';

export type ApiServiceConfig = WharfConfig & { databaseUrl: string; redisUrl: string; secretKey: string };

export interface ApiServiceSpec {
  /** `auth` or `org`. */
  name: string;
  /** Why it needs each setting, for the start-up message. */
  needs: { redis: string; secretKey: string };
  /** The service's feature modules. */
  modules(config: ApiServiceConfig, logger: Logger): DynamicModule[];
  /** Before listening (mount the OpenAPI document). */
  beforeListen?(app: INestApplication): void;
}

@Module({})
class ApiAppModule {
  static forRoot(config: ApiServiceConfig, logger: Logger, features: DynamicModule[]): DynamicModule {
    return {
      module: ApiAppModule,
      imports: [DatabaseModule.forRoot(config.databaseUrl, config), ApiHttpModule.forRoot(logger), ...features],
      controllers: [HealthController],
    };
  }
}

/**
 * The start-up the HTTP API services share (`auth`, `org`; one Deployment each): settings checked
 * and every missing one named, the Nest app with the API layer, request ids and `/metrics`,
 * HTTPS when WHARF_TLS_CERT/KEY are set, and on SIGTERM a graceful stop (requests in flight get
 * WHARF_SHUTDOWN_TIMEOUT_MS). Migrations run separately.
 */
export async function runApiService(spec: ApiServiceSpec): Promise<void> {
  try {
    const config = loadConfig();
    const missing = [
      !config.databaseUrl && `DATABASE_URL is required for the ${spec.name} service`,
      !config.redisUrl && `REDIS_URL is required for the ${spec.name} service (${spec.needs.redis})`,
      !config.secretKey && `WHARF_SECRET_KEY is required for the ${spec.name} service (${spec.needs.secretKey})`,
      config.tls === 'self-signed' && 'WHARF_TLS=self-signed is for single-machine mode; give the service WHARF_TLS_CERT and WHARF_TLS_KEY',
    ].filter((x): x is string => typeof x === 'string');
    if (missing.length > 0) throw new ConfigError(missing);
    const full: ApiServiceConfig = { ...config, databaseUrl: config.databaseUrl!, redisUrl: config.redisUrl!, secretKey: config.secretKey! };
    const logger = createLogger(spec.name, config.logLevel);
    const app = await NestFactory.create(ApiAppModule.forRoot(full, logger, spec.modules(full, logger)), { logger: nestLoggerOf(logger), httpsOptions: tlsFiles(config) });
    app.use(new Metrics(spec.name, logger).middleware(), requestIdMiddleware());
    spec.beforeListen?.(app);
    // A page upload (2 GiB archives) may take longer than Node's default 5 minutes per request.
    (app.getHttpServer() as Server).requestTimeout = 0;
    await app.listen(config.port, config.host);
    logger.info(`${spec.name} listening on ${config.host}:${config.port}`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await closeGracefully(app.getHttpServer() as Server, config.shutdownTimeoutMs);
      await app.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
