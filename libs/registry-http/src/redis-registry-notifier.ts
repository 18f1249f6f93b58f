import type { Redis } from 'ioredis';
import { createRedisClient } from '@wharf/database';
import type { RegistryNotifier } from '@wharf/org-core';
import type { CachingRegistryStore } from '@wharf/registry-core';

const CHANNEL = 'wharf:registry:removed';

/**
 * Cache invalidation between the management API and every registry replica, over Redis
 * pub/sub: `removed(name)` forgets the name in this process's registry cache at once (single
 * -machine mode answers the next pull from Postgres) and publishes it; every replica's
 * subscriber forgets it too. A replica that misses a message (Redis down) still drops the entry
 * when its TTL ends (1 s for tags, 10 s for content).
 */
export class RedisRegistryNotifier implements RegistryNotifier {
  private readonly publisher: Redis;
  private subscriber: Redis | null = null;

  constructor(
    private readonly redisUrl: string,
    private readonly local: CachingRegistryStore | null,
    private readonly timeoutMs: number,
  ) {
    this.publisher = createRedisClient(redisUrl, timeoutMs).redis;
  }

  /** Listens for other replicas' removals (registry side). */
  async listen(): Promise<void> {
    if (!this.local || this.subscriber) return;
    const local = this.local;
    const { redis, ready } = createRedisClient(this.redisUrl, this.timeoutMs);
    this.subscriber = redis;
    redis.on('message', (_channel: string, name: string) => local.forget(name));
    // Subscribe on every (re)connection: a Redis that was down at start or restarted later is
    // listened to once it answers (with no offline queue, a subscribe before that would be lost).
    redis.on('ready', () => void redis.subscribe(CHANNEL).catch(() => undefined));
    await ready;
  }

  /** Never fails the delete that called it: with Redis down, other replicas drop the name at their TTL. */
  async removed(name: string): Promise<void> {
    this.local?.forget(name);
    await this.publisher.publish(CHANNEL, name).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.publisher.disconnect();
  }
}
