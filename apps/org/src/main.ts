import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule } from '@wharf/auth-http';
import { ConfigError, loadConfig, WharfConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { Metrics, requestIdMiddleware } from '@wharf/observability';
import { mountOpenApi, OrgModule } from '@wharf/org-http';
import { tlsFiles } from '@wharf/registry-http';
import { guardProcess } from '@wharf/util';

type OrgConfig = WharfConfig & { databaseUrl: string; redisUrl: string; secretKey: string };

@Module({})
class OrgAppModule {
  static forRoot(config: OrgConfig): DynamicModule {
    return {
      module: OrgAppModule,
      imports: [
        DatabaseModule.forRoot(config.databaseUrl, config),
        // The guard, identity store, key ring and audit log; the auth service serves the endpoints.
        AuthModule.forRoot({ config, endpoints: false }),
        OrgModule.forRoot(config),
      ],
      controllers: [HealthController],
    };
  }
}

/**
 * The `org` service (a Kubernetes Deployment): the management API under `/api/v1` (organizations,
 * repositories, tags, shares, accounts, audit) and its OpenAPI document at `/api/docs`. Sign-in
 * (`/api/v1/auth`, `/api/v1/access-keys`) is the auth service's. Deletes reach every registry
 * replica's cache over Redis.
 */
async function main(): Promise<void> {
  try {
    const config = loadConfig();
    const missing = [
      !config.databaseUrl && 'DATABASE_URL is required for the org service',
      !config.redisUrl && 'REDIS_URL is required for the org service (login limits and cache invalidation)',
      !config.secretKey && 'WHARF_SECRET_KEY is required for the org service (it opens the signing keys that verify API tokens)',
      config.tls === 'self-signed' && 'WHARF_TLS=self-signed is for single-machine mode; give the service WHARF_TLS_CERT and WHARF_TLS_KEY',
    ].filter((x): x is string => typeof x === 'string');
    if (missing.length > 0) throw new ConfigError(missing);
    const app = await NestFactory.create(
      OrgAppModule.forRoot({ ...config, databaseUrl: config.databaseUrl!, redisUrl: config.redisUrl!, secretKey: config.secretKey! }),
      { logger: ['error', 'warn'], httpsOptions: tlsFiles(config) },
    );
    app.enableShutdownHooks();
    app.use(new Metrics('org').middleware(), requestIdMiddleware());
    mountOpenApi(app);
    await app.listen(config.port, config.host);
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: `org listening on ${config.host}:${config.port}` })}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}

guardProcess('org');
void main();
