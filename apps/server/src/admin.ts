import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { loginRatePrefix } from '@wharf/auth-core';
import { RedisLoginRateLimiter } from '@wharf/auth-http';
import { loadConfig } from '@wharf/config';
import { createRedisClient, PgAccountStore, PgAuditLog, PgUserStore } from '@wharf/database';
import { hashPassword } from '@wharf/identity';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startLocalRedis } from './embedded-redis';
import { lockDataDir, RUN_FILE, RunningService } from './local-process';

const USAGE = `usage: npm run admin -- <command> <username>
  unlock <username>                     clear the failed-login lock of a user (every client address)
  reset-password <username> [password]  set a new password (generated and printed when not given) and unlock

Works on a running single-machine Wharf (it reads <data dir>/run.json) or a stopped one (it starts
its embedded Postgres and Redis for the moment); DATABASE_URL and REDIS_URL point it elsewhere.`;

/**
 * The operator's way out of a locked-out administrator account: `npm run admin -- unlock admin`
 * or `reset-password admin`. Each action is written to the audit log as done by `operator`.
 */
async function main(args: string[]): Promise<number> {
  const [command, username, password] = args;
  if (!username || (command !== 'unlock' && command !== 'reset-password')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const config = loadConfig();
  const started: RunningService[] = [];
  const run = join(config.dataDir, RUN_FILE);
  let { databaseUrl, redisUrl } = config;
  if ((!databaseUrl || !redisUrl) && existsSync(run)) {
    const running = JSON.parse(readFileSync(run, 'utf8')) as { databaseUrl: string; redisUrl: string };
    databaseUrl ??= running.databaseUrl;
    redisUrl ??= running.redisUrl;
  } else if (!databaseUrl || !redisUrl) {
    const unlock = lockDataDir(config.dataDir); // throws when a Wharf runs without a run file
    started.push({ url: '', stop: async () => unlock() });
    if (!databaseUrl) started.push(await startEmbeddedPostgres({ dataDir: config.dataDir, log }));
    databaseUrl ??= (started[started.length - 1] as RunningService).url;
    if (!redisUrl) started.push(await startLocalRedis(config.dataDir, log));
    redisUrl ??= (started[started.length - 1] as RunningService).url;
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const { redis, ready } = createRedisClient(redisUrl as string, config.redisTimeoutMs);
  await ready;
  try {
    const user = await new PgUserStore(pool).findUserByUsername(username);
    if (!user) {
      process.stderr.write(`no user named "${username}"\n`);
      return 1;
    }
    const audit = new PgAuditLog(pool);
    const record = (action: string) =>
      audit.record({ actor: 'operator', accountId: user.accountId, action, resource: user.username, result: 'success', clientAddress: null });
    if (command === 'reset-password') {
      const next = password ?? randomBytes(18).toString('base64url');
      await new PgAccountStore(pool).updateUser(user.id, { passwordHash: await hashPassword(next) });
      await record('user.password-reset');
      process.stdout.write(password ? `password of "${user.username}" changed\n` : `new password of "${user.username}": ${next}\n`);
    }
    const cleared = await new RedisLoginRateLimiter(redis, config.loginMaxFailures, config.loginWindowSeconds).resetPrefix(loginRatePrefix(user.username));
    await record('user.unlock');
    process.stdout.write(`"${user.username}" may sign in again (${cleared} failed-login lock${cleared === 1 ? '' : 's'} cleared)\n`);
    return 0;
  } finally {
    redis.disconnect();
    await pool.end();
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
