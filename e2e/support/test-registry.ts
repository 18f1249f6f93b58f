import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@wharf/config';
import { DatabaseModule, HealthController } from '@wharf/database';
import { listenFront, RegistryModule, YoungGcPacer } from '@wharf/registry-http';
import { freePort } from '../../apps/server/src/local-process';

/** One way to pick a free port: single-machine mode's. */
export { freePort };

export interface TestRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the image reference prefix. */
  host: string;
  dataDir: string;
  /** The process id and what it printed so far, for processes (not in-process registries). */
  pid?: number;
  output?: () => string;
  close(): Promise<void>;
}

const workdir = () => process.env['WHARF_TEST_WORKDIR'] ?? '/tmp';

/** A fresh organization name per call, so spec files never collide in the shared database. */
export function uniqueOrg(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/**
 * The registry in this process (fast; for API tests), over the suite's Postgres and either a
 * fresh filesystem directory or, with `env.WHARF_S3_BUCKET`, S3. Extra env overrides config;
 * `pacer` replaces the front server's young-GC pacer.
 */
export async function startTestRegistry(databaseUrl: string, env: Record<string, string> = {}, pacer?: YoungGcPacer): Promise<TestRegistry> {
  const dataDir = mkdtempSync(join(workdir(), 'registry-'));
  const config = loadConfig({ WHARF_AUTH: 'none', WHARF_DATA_DIR: dataDir, WHARF_FS_FSYNC: 'false', DATABASE_URL: databaseUrl, ...env });
  @Module({
    imports: [DatabaseModule.forRoot(databaseUrl, config), RegistryModule.forRoot(config)],
    controllers: [HealthController],
  })
  class TestRegistryModule {}
  const app = await NestFactory.create(TestRegistryModule, { logger: ['error'] });
  const front = await listenFront(app, { host: '127.0.0.1', port: 0, pacer });
  const address = front.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, dataDir, close: front.close };
}


/**
 * The real `registry` service as a child process (`apps/registry/src/main.ts`), for tests of
 * statelessness and restarts and for real clients. `dataDir` lets several processes share storage.
 * `app` picks another service (`server`: single-machine mode, every route on one address; `auth`, `org`, the workers); those need REDIS_URL,
 * WHARF_SECRET_KEY and WHARF_ADMIN_PASSWORD in `env`).
 */
export async function startRegistryProcess(
  databaseUrl: string,
  options: { dataDir?: string; port?: number; env?: Record<string, string>; app?: 'registry' | 'server' | 'auth' | 'org' | 'builder' | 'gc' | 'events' } = {},
): Promise<TestRegistry> {
  const dataDir = options.dataDir ?? mkdtempSync(join(workdir(), 'registry-'));
  const port = options.port ?? (await freePort());
  const root = join(__dirname, '../..');
  // The compiled service (scripts/build.mjs, run by npm test) when present, else compiled on the fly.
  const app = options.app ?? 'registry';
  const compiled = join(root, `dist/apps/${app}/src/main.js`);
  const [cmd, args] = existsSync(compiled)
    ? [process.execPath, ['--enable-source-maps', compiled]]
    : [join(root, 'scripts/run-ts.sh'), [join(root, `apps/${app}/src/main.ts`)]];
  const child = spawn(cmd, args, {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      WHARF_AUTH: 'none',
      WHARF_DATA_DIR: dataDir,
      WHARF_PORT: String(port),
      WHARF_HOST: '127.0.0.1',
      WHARF_FS_FSYNC: 'false',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`registry process exited (${child.exitCode}): ${output}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`registry process did not become healthy: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    dataDir,
    pid: child.pid,
    output: () => output,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
