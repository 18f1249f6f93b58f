import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, WharfConfig } from '@wharf/config';
import type { Pool } from 'pg';
import type { RegistryWriter } from '@wharf/org-core';
import { DatabaseModule, HealthController, PG_POOL } from '@wharf/database';
import { createLogger, Logger, Metrics, nestLoggerOf, requestIdMiddleware } from '@wharf/observability';
import { QueuesModule } from './queues.module';
import { QueueWorkers } from './queue-workers';

/** What a worker's processors may use besides its queues. */
export interface WorkerContext {
  pool: Pool;
  /**
   * The registry's writer where the registry runs in this process (single-machine mode: its cache
   * forgets in place); null otherwise, and a worker that changes registry tables makes its own.
   */
  registryWriter: RegistryWriter | null;
}

export interface WorkerServiceSpec {
  /** The app's name: `builder`, `gc` or `events`. */
  name: string;
  /** Starts consuming this service's queues. */
  consume(workers: QueueWorkers, logger: Logger, config: WharfConfig, context: WorkerContext): void;
}

@Module({})
class WorkerAppModule {
  static forRoot(config: WharfConfig & { databaseUrl: string; redisUrl: string }, logger: Logger): DynamicModule {
    return {
      module: WorkerAppModule,
      imports: [
        DatabaseModule.forRoot(config.databaseUrl, config),
        QueuesModule.forRoot({ redisUrl: config.redisUrl, redisTimeoutMs: config.redisTimeoutMs, logger, relayOutbox: false }),
      ],
      controllers: [HealthController],
    };
  }
}

/**
 * A worker service (`builder`, `gc`, `events`; one Deployment each): its queues' consumers, plus
 * `/healthz`, `/readyz` (Postgres and Redis answer) and `/metrics` (job counts and durations,
 * queue depth, process metrics) on WHARF_PORT. SIGTERM: stop taking jobs, let the running ones
 * finish up to WHARF_SHUTDOWN_TIMEOUT_MS, then exit.
 */
export async function runWorkerService(spec: WorkerServiceSpec): Promise<void> {
  try {
    const config = loadConfig();
    const missing = [
      !config.databaseUrl && `DATABASE_URL is required for the ${spec.name} service`,
      !config.redisUrl && `REDIS_URL is required for the ${spec.name} service (its queues)`,
    ].filter((x): x is string => typeof x === 'string');
    if (missing.length > 0) throw new ConfigError(missing);
    const logger = createLogger(spec.name, config.logLevel);
    const metrics = new Metrics(spec.name, logger);
    const full = { ...config, databaseUrl: config.databaseUrl!, redisUrl: config.redisUrl! };
    const app = await NestFactory.create(WorkerAppModule.forRoot(full, logger), { logger: nestLoggerOf(logger) });
    app.use(metrics.middleware(), requestIdMiddleware());
    const workers = new QueueWorkers(full.redisUrl, logger, metrics);
    spec.consume(workers, logger, full, { pool: app.get<Pool>(PG_POOL), registryWriter: null });
    await app.listen(config.port, config.host);
    logger.info({ host: config.host, port: config.port }, `${spec.name} worker started`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      logger.info({ deadlineMs: config.shutdownTimeoutMs }, `${spec.name} worker stopping: finishing running jobs`);
      await workers.close(config.shutdownTimeoutMs);
      await app.close();
      logger.info(`${spec.name} worker stopped`);
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
