import type { Redis } from 'ioredis';
import type { LoginRateLimiter } from '@wharf/auth-core';

/**
 * Failed-login counting in Redis, shared by every auth replica: after `maxFailures` failures
 * within `windowSeconds` for one username and client address, logins are refused until the
 * window ends. A success clears the counter.
 */
export class RedisLoginRateLimiter implements LoginRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly maxFailures = 5,
    private readonly windowSeconds = 15 * 60,
  ) {}

  private key(k: string): string {
    return `wharf:login-failures:${k}`;
  }

  async blockedFor(k: string): Promise<number> {
    const [count, ttl] = await this.redis.multi().get(this.key(k)).ttl(this.key(k)).exec().then((r) => (r ?? []).map((x) => x[1]));
    return Number(count ?? 0) >= this.maxFailures ? Math.max(1, Number(ttl)) : 0;
  }

  async recordFailure(k: string): Promise<void> {
    const key = this.key(k);
    const count = await this.redis.incr(key);
    if (count === 1) await this.redis.expire(key, this.windowSeconds);
  }

  async reset(k: string): Promise<void> {
    await this.redis.del(this.key(k));
  }

  async resetPrefix(prefix: string): Promise<number> {
    let cleared = 0;
    const pattern = `${this.key(prefix.replace(/[*?[\]\\]/g, '\\$&'))}*`;
    for await (const keys of this.redis.scanStream({ match: pattern, count: 500 })) {
      if ((keys as string[]).length > 0) cleared += await this.redis.del(...(keys as string[]));
    }
    return cleared;
  }
}
