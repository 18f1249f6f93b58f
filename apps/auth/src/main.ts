import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule } from '@wharf/auth-http';
import { guardProcess } from '@wharf/util';
import { ConfigError, loadConfig, WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { Metrics, requestIdMiddleware } from '@wharf/observability';
import { tlsFiles } from '@wharf/registry-http';

@Module({})
class AuthAppModule {
  static forRoot(config: WharfConfig & { databaseUrl: string; redisUrl: string; secretKey: string }): DynamicModule {
    return {
      module: AuthAppModule,
      imports: [
        DatabaseModule.forRoot(config.databaseUrl, config),
        AuthModule.forRoot({
          config,
          onAdminPassword: (user, password) =>
            process.stdout.write(`${JSON.stringify({ level: 'info', msg: `created system administrator "${user}" with generated password ${password} (shown once)` })}\n`),
        }),
      ],
      controllers: [HealthController],
    };
  }
}

/** The `auth` service (a Kubernetes Deployment): `/token`, `/token/jwks.json`, `/api/v1/auth`, `/api/v1/access-keys`. */
async function main(): Promise<void> {
  try {
    const config = loadConfig();
    const missing = [
      !config.databaseUrl && 'DATABASE_URL is required for the auth service',
      !config.redisUrl && 'REDIS_URL is required for the auth service',
      !config.secretKey && 'WHARF_SECRET_KEY is required for the auth service',
      config.tls === 'self-signed' && 'WHARF_TLS=self-signed is for single-machine mode; give the service WHARF_TLS_CERT and WHARF_TLS_KEY',
    ].filter((x): x is string => typeof x === 'string');
    if (missing.length > 0) throw new ConfigError(missing);
    const app = await NestFactory.create(
      AuthAppModule.forRoot({ ...config, databaseUrl: config.databaseUrl!, redisUrl: config.redisUrl!, secretKey: config.secretKey! }),
      { logger: ['error', 'warn'], httpsOptions: tlsFiles(config) },
    );
    app.enableShutdownHooks();
    app.use(new Metrics('auth').middleware(), requestIdMiddleware());
    await app.listen(config.port, config.host);
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: `auth listening on ${config.host}:${config.port}` })}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  }
}

guardProcess('auth');
void main();
