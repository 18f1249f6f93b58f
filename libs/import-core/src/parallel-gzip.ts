import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCb, InputType, ZlibOptions } from 'node:zlib';

const deflateRaw = promisify(deflateRawCb) as (input: InputType, options: ZlibOptions) => Promise<Buffer>;

/** gzip header: deflate, no name, mtime 0 (the same bytes give the same digest), Unix. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** An empty final fixed-Huffman block: ends a stream whose blocks all ended with a sync flush. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
const WINDOW = 32 * 1024;
const SAMPLE = 32 * 1024;

export interface ParallelGzipOptions {
  /** zlib level for blocks that compress (1: fastest). */
  level: number;
  /** Uncompressed bytes per block (1 MiB). */
  blockSize: number;
  /** Blocks compressed at once on the libuv thread pool. */
  concurrency: number;
}

export const DEFAULT_PARALLEL_GZIP: ParallelGzipOptions = { level: 1, blockSize: 1024 * 1024, concurrency: 3 };

/**
 * Compresses one block as raw deflate ending in a sync flush, primed with the 32 KiB before it.
 * A block whose sample does not compress (compressed or random data) is stored instead: deflate
 * spends most of its time failing to find matches in such data, and storing it is a copy.
 */
async function compressBlock(block: Buffer, dictionary: Buffer | undefined, level: number): Promise<Buffer> {
  let chosen = level;
  if (block.length > 2 * SAMPLE) {
    const start = Math.floor(block.length / 2);
    const sample = await deflateRaw(block.subarray(start, start + SAMPLE), { level, finishFlush: constants.Z_SYNC_FLUSH });
    if (sample.length > SAMPLE * 0.95) chosen = 0;
  }
  // One output buffer for the whole block (the default 16 KiB means a callback and a copy per piece).
  const chunkSize = block.length + (block.length >> 6) + 1024;
  return deflateRaw(block, { level: chosen, chunkSize, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary && chosen > 0 ? { dictionary } : {}) });
}

/**
 * gzip of a byte stream, compressed in blocks several at a time on the thread pool (pigz's method:
 * each block is raw deflate primed with the previous 32 KiB, so the ratio stays that of one
 * stream, and ends on a byte boundary; the blocks are concatenated in order between the gzip
 * header and trailer). One core compresses a layer at about 50 MB/s; this uses them all. The
 * output is a standard gzip member and, for the same input, always the same bytes.
 */
export async function* parallelGzip(source: AsyncIterable<Buffer> | Iterable<Buffer>, options: ParallelGzipOptions = DEFAULT_PARALLEL_GZIP): AsyncGenerator<Buffer> {
  yield HEADER;
  let crc = 0;
  let length = 0;
  let previous: Buffer | undefined;
  const pending: Promise<Buffer>[] = [];
  const submit = (block: Buffer) => {
    crc = crc32(block, crc);
    length += block.length;
    const dictionary = previous ? previous.subarray(Math.max(0, previous.length - WINDOW)) : undefined;
    const job = compressBlock(block, dictionary, options.level);
    job.catch(() => undefined); // awaited in order below; an early failure must not go unhandled meanwhile
    pending.push(job);
    previous = block;
  };
  let parts: Buffer[] = [];
  let filled = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(options.blockSize - filled, chunk.length - offset);
      parts.push(chunk.subarray(offset, offset + n));
      filled += n;
      offset += n;
      if (filled === options.blockSize) {
        // A copy: the source may reuse its chunks once we move on.
        submit(Buffer.concat(parts, filled));
        parts = [];
        filled = 0;
        while (pending.length >= options.concurrency) yield await (pending.shift() as Promise<Buffer>);
      }
    }
  }
  if (filled > 0) submit(Buffer.concat(parts, filled));
  while (pending.length > 0) yield await (pending.shift() as Promise<Buffer>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield Buffer.concat([FINAL_BLOCK, trailer]);
}
