import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { guardProcess } from '@wharf/util';
import { ConfigError, loadConfig } from '@wharf/config';
import { listenFront } from '@wharf/registry-http';
import { RegistryAppModule } from './registry-app.module';

/** The `registry` service: needs DATABASE_URL; migrations run separately (`migrate` job). */
async function main(): Promise<void> {
  try {
    const config = loadConfig();
    if (!config.databaseUrl) throw new ConfigError(['DATABASE_URL is required for the registry service']);
    const app = await NestFactory.create(RegistryAppModule.forRoot({ ...config, databaseUrl: config.databaseUrl }), {
      logger: ['error', 'warn'],
    });
    const front = await listenFront(app, config.host, config.port);
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: `registry listening on ${config.host}:${config.port}` })}\n`);
    const shutdown = () => void front.close().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  }
}

guardProcess('registry');
void main();
