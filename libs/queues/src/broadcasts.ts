import { lastValueFrom, timeout } from 'rxjs';
import { ClientRedis, ServerRedis } from '@nestjs/microservices';
import type { Redis, RedisOptions } from 'ioredis';

/**
 * Broadcasts: messages every replica of a service hears at once and nobody keeps (cache
 * invalidation), over Redis pub/sub with @nestjs/microservices' Redis transport and event
 * patterns. Jobs that must not be lost go through the queues instead.
 */
export const BROADCASTS = {
  /** A repository, a tag (`repo:tag`) or an organization (`org/`) was deleted: drop it from every cache. */
  registryRemoved: 'wharf.registry.removed',
} as const;

export interface BroadcastPayloads {
  [BROADCASTS.registryRemoved]: { name: string };
}

/** ioredis settings from a `redis://` or `rediss://` URL, reconnecting every half second for as long as it takes. */
function redisOptions(url: string, timeoutMs: number): RedisOptions & { retryAttempts: number; retryDelay: number } {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: decodeURIComponent(u.username) || undefined,
    password: decodeURIComponent(u.password) || undefined,
    db: Number(u.pathname.slice(1) || 0),
    tls: u.protocol === 'rediss:' ? {} : undefined,
    connectTimeout: timeoutMs,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryDelay: 500,
  };
}

/**
 * The listening side (registry replicas): subscribes at once and keeps the subscription while
 * Redis is away. Nest's ServerRedis waits for the first connection and fails the start when Redis
 * is down; here the subscribe waits in ioredis' offline queue instead (resubscribed after every
 * reconnection), so a Redis that comes back later is listened to. Connection errors are not logged
 * per attempt: `/readyz` reports a Redis that does not answer.
 */
export class BroadcastServer extends ServerRedis {
  constructor(redisUrl: string, timeoutMs: number) {
    super({ ...redisOptions(redisUrl, timeoutMs), maxRetriesPerRequest: null, enableOfflineQueue: true });
  }

  override registerErrorListener(client: Redis): void {
    client.on('error', () => undefined);
  }

  override start(callback?: () => void): void {
    this.bindEvents(this.subClient, this.pubClient);
    for (const client of [this.subClient, this.pubClient]) void client.connect().catch(() => undefined);
    callback?.();
  }

  /** Immediate: a QUIT would wait in the offline queue while Redis is away. */
  override async close(): Promise<void> {
    this.isManuallyClosed = true;
    this.subClient?.disconnect();
    this.pubClient?.disconnect();
  }
}

/**
 * The sending side (the management API): `broadcast` publishes or fails within the time limit;
 * with Redis away it fails at once (no offline queue) and reconnects by itself.
 */
export class BroadcastClient extends ClientRedis {
  constructor(
    redisUrl: string,
    private readonly timeoutMs: number,
  ) {
    super({ ...redisOptions(redisUrl, timeoutMs), commandTimeout: timeoutMs, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  }

  override registerErrorListener(client: Redis): void {
    client.on('error', () => undefined);
  }

  async broadcast<P extends keyof BroadcastPayloads>(pattern: P, payload: BroadcastPayloads[P]): Promise<void> {
    await lastValueFrom(this.emit(pattern, payload).pipe(timeout(this.timeoutMs)), { defaultValue: undefined });
  }

  override async close(): Promise<void> {
    this.isManuallyClosed = true;
    this.pubClient?.disconnect();
    this.subClient?.disconnect();
    this.pubClient = this.subClient = null;
  }
}
