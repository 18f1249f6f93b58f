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

  /** Pushes, then moves every pending count in Redis into Postgres (one statement per hash). */
  async flush(): Promise<void> {
    await this.push();
    const repos = await this.take(REPOS);
    if (repos.length > 0) {
      await this.pool.query(
        `UPDATE repositories r SET download_count = r.download_count + c.n
           FROM unnest($1::text[], $2::bigint[]) AS c(name, n) WHERE r.name = c.name`,
        [repos.map(([name]) => name), repos.map(([, n]) => n)],
      );
    }
    const tags = (await this.take(TAGS)).map(([field, n]) => [...field.split(SEP), n] as const);
    if (tags.length > 0) {
      await this.pool.query(
        `UPDATE tags t SET download_count = t.download_count + c.n
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS c(repo, tag, n), repositories r
          WHERE r.name = c.repo AND t.repository_id = r.id AND t.name = c.tag`,
        [tags.map((t) => t[0]), tags.map((t) => t[1]), tags.map((t) => t[2])],
      );
    }
  }

  /** Takes (renames away, reads, deletes) the pending counts of one hash; empty when there are none. */
  private async take(key: string): Promise<[string, number][]> {
    const taken = `${key}:flushing:${process.pid}:${Date.now()}`;
    try {
      await this.redis.rename(key, taken);
    } catch {
      return []; // nothing pending (or another replica took it)
    }
    const counts = await this.redis.hgetall(taken);
    await this.redis.del(taken);
    return Object.entries(counts).map(([field, n]) => [field, Number(n)]);
  }
}
