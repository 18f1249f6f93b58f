import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { guardProcess } from '@wharf/util';
import { ConfigError, loadConfig } from '@wharf/config';
import { mountOpenApi } from '@wharf/org-http';
import { eventsWorker } from '@wharf/events-worker';
import { createLogger, Metrics, nestLoggerOf } from '@wharf/observability';
import { builderWorker } from '@wharf/import-worker';
import { QueueWorkers } from '@wharf/queues';
import { gcWorker } from '@wharf/gc-worker';
import { migrate, PG_POOL } from '@wharf/database';
import { REGISTRY_WRITER, RegistryWriter } from '@wharf/org-core';
import { listenFront, TlsFiles, tlsFiles } from '@wharf/registry-http';
import { AppModule } from './app.module';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startLocalRedis } from './embedded-redis';
import { lockDataDir, Log, RunningService, StartupError, writeRunFile } from './local-process';
import { loadOrCreateSecretKey } from './secret-key';
import { selfSignedTls, trustInstructions } from './self-signed-tls';

/**
 * Single-machine mode: everything on one address. Starts an embedded Postgres unless
 * DATABASE_URL is set and a local redis-server unless REDIS_URL is set, applies migrations,
 * then serves `/v2` (registry) and the Nest routes on WHARF_HOST:WHARF_PORT.
 */
async function main(): Promise<void> {
  const started: RunningService[] = [];
  const stopInfra = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  try {
    // `npm start -- --tls`: HTTPS with a local CA (the same as WHARF_TLS=self-signed).
    const config = loadConfig(process.argv.includes('--tls') ? { ...process.env, WHARF_TLS: 'self-signed' } : process.env);
    const logger = createLogger('server', config.logLevel);
    const log: Log = (msg) => logger.info(msg);
    const start = async (s: Promise<RunningService>) => (started.push(await s), started[started.length - 1] as RunningService);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const unlock = lockDataDir(config.dataDir);
    started.push({ url: '', stop: async () => unlock() });
    const databaseUrl = config.databaseUrl ?? (await start(startEmbeddedPostgres({ dataDir: config.dataDir, log }))).url;
    const redisUrl = config.redisUrl ?? (await start(startLocalRedis(config.dataDir, log))).url;
    const removeRunFile = writeRunFile(config.dataDir, { databaseUrl, redisUrl });
    started.push({ url: '', stop: async () => removeRunFile() });
    const applied = await migrate(databaseUrl);
    if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
    if (config.auth === 'none') log('WARNING: WHARF_AUTH=none: anyone who can reach this address may push and pull');

    const secretKey = config.secretKey ?? loadOrCreateSecretKey(config.dataDir);
    let tls: TlsFiles | undefined = tlsFiles(config);
    let jwksCaFile = config.jwksCaFile;
    if (config.tls === 'self-signed') {
      const made = await selfSignedTls(config.dataDir, new URL(config.publicUrl).hostname, log);
      tls = made;
      jwksCaFile ??= made.caFile; // the registry fetches the keys from this same address
      if (made.created) process.stdout.write(`${trustInstructions(made.caFile, new URL(config.publicUrl).host)}\n`);
      else log(`HTTPS with the CA in ${made.caFile} (trust it on clients: README, "TLS")`);
    }
    const app = await NestFactory.create(
      AppModule.forRoot(
        { ...config, jwksCaFile, databaseUrl, redisUrl, secretKey },
        logger,
        {
          onAdminPassword: (user, password) =>
            log(`created the system administrator "${user}" with the generated password: ${password} (shown once; set WHARF_ADMIN_PASSWORD to choose it)`),
        },
      ),
      { logger: nestLoggerOf(logger) },
    );
    const metrics = new Metrics('server', logger);
    // One process: a delete forgets the registry's cache in place, no broadcast needs hearing.
    const front = await listenFront(app, { host: config.host, port: config.port, beforeInit: mountOpenApi, tls, metrics });
    // The worker services run here too: their queues live in the same Redis.
    const workers = new QueueWorkers(redisUrl, logger, metrics);
    // One process: the registry's own writer, so what workers delete this cache forgets in place.
    const context = { pool: app.get(PG_POOL), registryWriter: app.get<RegistryWriter>(REGISTRY_WRITER) };
    for (const worker of [eventsWorker, gcWorker, builderWorker]) worker.consume(workers, logger, config, context);
    log(`Wharf is serving on ${config.publicUrl} (storage: ${config.storage}, data: ${config.dataDir})`);

    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      log('stopping');
      // Jobs first (they need the database), while the front still answers; then the requests in flight.
      await workers.close(config.shutdownTimeoutMs);
      await front.close(config.shutdownTimeoutMs);
      await stopInfra();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown());
    process.on('SIGTERM', () => void shutdown());
  } catch (err) {
    // Configuration and start-up problems are the operator's to fix: the message alone, not a stack.
    process.stderr.write(`${err instanceof ConfigError || err instanceof StartupError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopInfra();
    process.exit(1);
  }
}

guardProcess('server');
void main();
