import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { AccountService, Clock, SigningKeyRing, USER_STORE, UserStore } from '@wharf/auth-core';
import { ApiHttpModule } from '@wharf/api-http';
import { AuthModule } from '@wharf/auth-http';
import { createLogger } from '@wharf/observability';
import { loadConfig } from '@wharf/config';
import { DatabaseModule, HealthController, PG_POOL } from '@wharf/database';
import { mountOpenApi, OrgModule } from '@wharf/org-http';
import { listenFront, RegistryModule } from '@wharf/registry-http';
import { freePort } from './test-registry';

/**
 * The suite's shared database holds one administrator and one set of sealed signing keys: every
 * server started over it (in-process or as a process) must use these two values.
 */
export const TEST_ADMIN_PASSWORD = 'admin-password';
export const TEST_SECRET_KEY = 'test-secret-key-test-secret-key-0123456789';

/** A clock tests can move forward instead of sleeping. */
export class MovableClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestServer {
  url: string;
  host: string;
  app: INestApplication;
  clock: MovableClock;
  pool: Pool;
  accounts: AccountService;
  users: UserStore;
  keys: SigningKeyRing;
  close(): Promise<void>;
}

/**
 * Registry + auth in this process with Docker token auth on (as `npm start` runs them), over the
 * suite's Postgres and Redis, with a movable clock for the auth side.
 */
export async function startTestServer(databaseUrl: string, redisUrl: string, env: Record<string, string> = {}): Promise<TestServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'server-'));
  const config = loadConfig({
    WHARF_PORT: String(port),
    WHARF_DATA_DIR: dataDir,
    WHARF_FS_FSYNC: 'false',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    WHARF_SECRET_KEY: TEST_SECRET_KEY,
    WHARF_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...env,
  });
  const clock = new MovableClock();
  @Module({
    imports: [
      DatabaseModule.forRoot(databaseUrl, config),
      ApiHttpModule.forRoot(createLogger('test-server', 'warn')),
      AuthModule.forRoot({ config: { ...config, redisUrl, secretKey: config.secretKey as string }, clock }),
      OrgModule.forRoot(config),
      RegistryModule.forRoot(config),
    ],
    controllers: [HealthController],
  })
  class TestServerModule {}
  const app = await NestFactory.create(TestServerModule, { logger: ['error'] });
  const front = await listenFront(app, { host: '127.0.0.1', port, beforeInit: mountOpenApi });
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    app,
    clock,
    pool: app.get(PG_POOL),
    accounts: app.get(AccountService),
    users: app.get(USER_STORE),
    keys: app.get(SigningKeyRing),
    close: front.close,
  };
}
