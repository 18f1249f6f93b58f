/**
 * Reusable fixed-size buffers for the byte-moving paths (blob reads to sockets, direct writes).
 * Why: allocating a fresh large buffer per request churns external memory, and V8 answers external
 * memory growth with extra garbage collections; reusing buffers keeps both the GC work and the
 * resident memory bounded. Contract: `acquire` returns a buffer of `size` bytes the caller owns
 * until it calls `release` (after which it must not touch it); at most `retain` idle buffers are
 * kept. `make` creates a new buffer; it may return null (DirectIo: no aligned buffer possible).
 */
export class BufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly retain: number,
    private readonly make: (size: number) => Promise<Buffer | null> = async (size) => Buffer.allocUnsafeSlow(size),
  ) {}

  async acquire(): Promise<Buffer | null> {
    return this.idle.pop() ?? this.make(this.size);
  }

  release(buffer: Buffer | null): void {
    if (buffer && buffer.length === this.size && this.idle.length < this.retain) this.idle.push(buffer);
  }
}
