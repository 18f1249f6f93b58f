import type { Hash } from 'node:crypto';

/**
 * Running sha256 states of uploads in flight, keyed by upload id, so a chunked upload whose
 * chunks land on this process is hashed exactly once. Purely an optimisation: a miss (another
 * replica took the previous chunk, or a restart) means the upload is re-read once at completion.
 * Bounded: the oldest entries are dropped first.
 */
export class UploadHashCache {
  private readonly entries = new Map<string, { offset: number; hash: Hash }>();
  constructor(private readonly capacity = 4096) {}

  /** Takes (removes) the hash for `id` if it covers exactly the first `offset` bytes. */
  take(id: string, offset: number): Hash | null {
    const entry = this.entries.get(id);
    if (!entry) return null;
    this.entries.delete(id);
    return entry.offset === offset ? entry.hash : null;
  }

  put(id: string, offset: number, hash: Hash): void {
    this.entries.delete(id);
    this.entries.set(id, { offset, hash });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  drop(id: string): void {
    this.entries.delete(id);
  }
}
