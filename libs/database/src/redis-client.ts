import { Redis } from 'ioredis';

/**
 * The one way Wharf opens Redis: every command has a time limit, and with no connection a command
 * fails at once instead of queueing (`dependencyDown` turns both into 503). It connects at once
 * and reconnects by itself; connection errors are not logged per attempt (`/readyz` reports a
 * Redis that does not answer). `ready` waits for the first connection, for start-up.
 */
export function createRedisClient(url: string, timeoutMs: number): { redis: Redis; ready: Promise<void> } {
  const redis = new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  const ready = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs); // a Redis that is down now must not stop the start
    redis.once('ready', () => (clearTimeout(timer), resolve()));
  });
  return { redis, ready };
}
