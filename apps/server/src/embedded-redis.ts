import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, freePort, hasCommand, Log, RunningService, spawnServer, StartupError, stopLeftover, waitForPort } from './local-process';

/**
 * Single-machine mode's Redis: the system `redis-server` (installed with apt when missing and
 * running as root), persisted under `<dataDir>/redis`, on a free loopback port, with a random
 * `requirepass` kept in `<dataDir>/redis/redis.conf` (0600, so it never shows in `ps`). A Redis
 * left running by a killed start is found by its pid file and stopped.
 */
export async function startLocalRedis(dataDir: string, log: Log): Promise<RunningService> {
  if (!hasCommand('redis-server')) await aptInstall(['redis-server'], 'redis-server is not installed (or set REDIS_URL)', log);
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwordFile = join(dir, 'password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  const pidFile = join(dir, 'redis.pid');
  await stopLeftover(pidFile, 'redis-server', log);
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  const settings = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `pidfile ${pidFile}`,
    'appendonly yes',
    'save ""',
    'protected-mode yes',
    `requirepass ${password}`,
  ];
  writeFileSync(conf, `${settings.join('\n')}\n`, { mode: 0o600 });
  const child = spawnServer('redis-server', [conf]);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new StartupError(`redis-server exited (${code}) before it was ready; data directory ${dir}:\n${output}`))),
  );
  await Promise.race([waitForPort(port, 10_000), exited]);
  exited.catch(() => undefined);
  return {
    url: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
