import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { guardProcess } from '@wharf/util';
import { ConfigError, loadConfig } from '@wharf/config';
import { createLogger, Metrics, nestLoggerOf } from '@wharf/observability';
import { listenFront, tlsFiles } from '@wharf/registry-http';
import { RegistryAppModule } from './registry-app.module';

/** The `registry` service: needs DATABASE_URL; migrations run separately (`migrate` job). */
async function main(): Promise<void> {
  try {
    const config = loadConfig();
    if (!config.databaseUrl) throw new ConfigError(['DATABASE_URL is required for the registry service']);
    if (config.tls === 'self-signed') throw new ConfigError(['WHARF_TLS=self-signed is for single-machine mode; give the service WHARF_TLS_CERT and WHARF_TLS_KEY']);
    const logger = createLogger('registry', config.logLevel);
    if (!config.redisUrl) logger.warn('REDIS_URL is not set: registry events wait in the outbox, caches are per replica');
    const app = await NestFactory.create(RegistryAppModule.forRoot({ ...config, databaseUrl: config.databaseUrl }, logger), {
      logger: nestLoggerOf(logger),
    });
    const front = await listenFront(app, {
      host: config.host,
      port: config.port,
      tls: tlsFiles(config),
      metrics: new Metrics('registry', logger),
      broadcasts: config.redisUrl ? { redisUrl: config.redisUrl, timeoutMs: config.redisTimeoutMs } : undefined,
    });
    logger.info(`registry listening on ${config.host}:${config.port}`);
    const shutdown = () => void front.close(config.shutdownTimeoutMs).then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  }
}

guardProcess('registry');
void main();
