import { Redis } from 'ioredis';
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
    redisUrl: string,
    private readonly local: CachingRegistryStore | null,
  ) {
    this.publisher = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    this.publisher.on('error', () => undefined); // a down Redis is reported by /readyz, not per event
  }

  /** Listens for other replicas' removals (registry side). */
  async listen(): Promise<void> {
    if (!this.local || this.subscriber) return;
    const local = this.local;
    this.subscriber = this.publisher.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, name: string) => local.forget(name));
    await this.subscriber.subscribe(CHANNEL);
  }

  async removed(name: string): Promise<void> {
    this.local?.forget(name);
    await this.publisher.publish(CHANNEL, name);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.publisher.disconnect();
  }
}
