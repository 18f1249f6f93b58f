import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { DownloadCounter } from '@wharf/registry-core';

const REPOS = 'wharf:downloads:repositories';
const TAGS = 'wharf:downloads:tags';
const SEP = '\u0000';

/**
 * Download counting off the pull path: a manifest GET only bumps an in-process counter; every
 * second (`push`) the sums go to Redis as one pipelined HINCRBY per key, and `flush` moves them
 * into Postgres in batches. RENAME hands the pending counts to exactly one flusher, so every
 * replica may flush without counting anything twice. Counts survive restarts (they wait in Redis);
 * a crash loses at most the last second of one replica's counts.
 */
export class RedisDownloadCounter implements DownloadCounter {
  private pending = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly pool: Pool,
  ) {}

  record(repository: string, tag: string | null): void {
    const repoKey = REPOS + SEP + repository;
    this.pending.set(repoKey, (this.pending.get(repoKey) ?? 0) + 1);
    if (tag !== null) {
      const tagKey = TAGS + SEP + repository + SEP + tag;
      this.pending.set(tagKey, (this.pending.get(tagKey) ?? 0) + 1);
    }
  }

  /** Moves this process's counts to Redis. */
  async push(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const p = this.redis.pipeline();
    for (const [key, n] of batch) {
      const cut = key.indexOf(SEP);
      p.hincrby(key.slice(0, cut), key.slice(cut + 1), n);
    }
    await p.exec();
  }

  close(): void {
    this.redis.disconnect();
  }

  /** Pushes, then moves every pending count in Redis into Postgres. */
  async flush(): Promise<void> {
    await this.push();
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
