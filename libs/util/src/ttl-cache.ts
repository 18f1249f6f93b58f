/** Bounds the summed weight (e.g. bytes) of the entries, besides their count. */
export interface CacheWeight<V> {
  of: (value: V) => number;
  max: number;
}

/**
 * A small in-process cache with a per-entry time to live and a size bound (oldest first out):
 * at most `capacity` entries and, with `weight`, at most `weight.max` summed weight (a value
 * heavier than that is not cached). For data that is immutable or may be briefly stale across
 * replicas; a replica invalidates its own entries on every write it makes, so it always reads its
 * own writes.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number; weight: number }>();
  private totalWeight = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
    private readonly weight?: CacheWeight<V>,
  ) {}

  /** The value while it is fresh. An expired entry stays (within the bounds) for `getStale`. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    return e && e.expires > this.now() ? e.value : undefined;
  }

  /** The value even if it expired up to `maxStaleMs` ago: for when the source cannot be asked. */
  getStale(key: string, maxStaleMs: number): V | undefined {
    const e = this.entries.get(key);
    return e && e.expires + maxStaleMs > this.now() ? e.value : undefined;
  }

  set(key: string, value: V, ttlMs = this.ttlMs): void {
    this.delete(key);
    const weight = this.weight ? this.weight.of(value) : 0;
    if (this.weight && weight > this.weight.max) return;
    this.entries.set(key, { value, expires: this.now() + ttlMs, weight });
    this.totalWeight += weight;
    while (this.entries.size > this.capacity || (this.weight && this.totalWeight > this.weight.max)) {
      this.delete(this.entries.keys().next().value as string);
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.totalWeight -= e.weight;
    this.entries.delete(key);
  }

  /** Drops every key starting with `prefix` (a repository's entries). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
