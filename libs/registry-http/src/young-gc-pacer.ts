import { IncomingMessage } from 'node:http';

/** What V8's exposed `gc` accepts (Node >= 20 with `--expose-gc`). */
export type GcFunction = (options: { type: 'minor' | 'major' }) => void;

/** Bytes of request bodies between two young GCs. */
export const YOUNG_GC_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * Runs a young (scavenge) GC after every `every` bytes of request bodies.
 *
 * Why: Node's HTTP parser hands each body chunk to JavaScript as a new ~64 KiB ArrayBuffer, and
 * V8 (11.3, Node 20) adds external memory allocated since the last full GC to the old generation's
 * size when it checks that generation's limit, while it runs a young GC for the chunks only once
 * ~32 MiB of them piled up. On a ~30 MB heap that meant a full GC (~25 ms, freeing nothing) every
 * ~25 MiB of upload: ~12 per 256 MiB push. A scavenge every 16 MiB costs ~1 ms and frees the
 * chunks first (docs/performance.md, "Large push", finding 4).
 *
 * Contract: `count(bytes)` after each body chunk; one young GC each time the bytes counted pass a
 * multiple of `every` (at most one per call).
 * With no `gc` (node started without `--expose-gc`) it does nothing.
 */
export class YoungGcPacer {
  private pending = 0;

  constructor(
    private readonly gc: GcFunction | undefined = exposedGc(),
    private readonly every = YOUNG_GC_EVERY_BYTES,
  ) {}

  count(bytes: number): void {
    if (!this.gc) return;
    this.pending += bytes;
    if (this.pending < this.every) return;
    this.pending %= this.every;
    this.gc({ type: 'minor' });
  }

  /** An IncomingMessage class for `http.createServer` whose body chunks are counted here. */
  incomingMessageClass(): typeof IncomingMessage {
    if (!this.gc) return IncomingMessage;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below needs this pacer
    const pacer = this;
    return class PacedIncomingMessage extends IncomingMessage {
      override push(chunk: unknown, encoding?: BufferEncoding): boolean {
        if (chunk instanceof Uint8Array) pacer.count(chunk.length);
        return super.push(chunk, encoding);
      }
    };
  }
}

function exposedGc(): GcFunction | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : undefined;
}
