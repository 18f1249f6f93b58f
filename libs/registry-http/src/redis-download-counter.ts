import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { DownloadCounter } from '@wharf/registry-core';

const REPOS = 'wharf:downloads:repositories';
const TAGS = 'wharf:downloads:tags';
const SEP = '\u0000';

/**
 * Download counting off the pull path: each manifest GET is one pipelined HINCRBY in Redis (not
 * awaited); `flush` moves the counts into Postgres in batches. RENAME hands the pending counts to
 * exactly one flusher, so every replica may flush without counting anything twice, and counts
 * survive restarts (they live in Redis until flushed).
 */
export class RedisDownloadCounter implements DownloadCounter {
  constructor(
    private readonly redis: Redis,
    private readonly pool: Pool,
  ) {}

  record(repository: string, tag: string | null): void {
    const p = this.redis.pipeline().hincrby(REPOS, repository, 1);
    if (tag !== null) p.hincrby(TAGS, repository + SEP + tag, 1);
    p.exec().catch(() => undefined);
  }

  close(): void {
    this.redis.disconnect();
  }

  async flush(): Promise<void> {
    const suffix = `:flushing:${process.pid}:${Date.now()}`;
    for (const [key, apply] of [
      [REPOS, (field: string, n: number) => this.pool.query('UPDATE repositories SET download_count = download_count + $2 WHERE name = $1', [field, n])],
      [
        TAGS,
        (field: string, n: number) => {
          const [repo, tag] = field.split(SEP);
          return this.pool.query(
            'UPDATE tags t SET download_count = t.download_count + $3 FROM repositories r WHERE r.id = t.repository_id AND r.name = $1 AND t.name = $2',
            [repo, tag, n],
          );
        },
      ],
    ] as const) {
      const taken = key + suffix;
      try {
        await this.redis.rename(key, taken);
      } catch {
        continue; // nothing pending (or another replica took it)
      }
      const counts = await this.redis.hgetall(taken);
      for (const [field, n] of Object.entries(counts)) await apply(field, Number(n));
      await this.redis.del(taken);
    }
  }
}
