import { createHash, Hash } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { truncate } from './reference';

/**
 * Content digests (`algorithm:encoded`). Wharf accepts the two algorithms the OCI image spec
 * registers, sha256 and sha512, with lowercase hex encodings of the exact length.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  readonly digest: string;
}

/** Result of parsing: either the digest or a message naming the problem. */
export type DigestParse = { ok: true; value: ParsedDigest } | { ok: false; problem: string };

export function parseDigest(value: string): DigestParse {
  if (!DIGEST_GRAMMAR.test(value)) {
    return { ok: false, problem: `"${truncate(value)}" is not a digest of the form <algorithm>:<hex>` };
  }
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    return { ok: false, problem: `unsupported digest algorithm "${truncate(algorithm, 20)}" (supported: sha256, sha512)` };
  }
  if (hex.length !== ENCODED_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    return {
      ok: false,
      problem: `${algorithm} digest must be ${ENCODED_LENGTH[algorithm]} lowercase hex characters`,
    };
  }
  return { ok: true, value: { algorithm, hex, digest: value } };
}

export function isDigest(value: string): boolean {
  return parseDigest(value).ok;
}

export function digestOf(data: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/**
 * A pass-through stream that counts (and optionally hashes) what flows through it, and fails
 * once the running offset passes `maxOffset`. The hash can be handed over (`takeHash`) so a
 * later chunk of the same upload continues it without re-reading.
 */
export class DigestingStream extends Transform {
  private bytes = 0;
  constructor(
    private readonly hash: Hash | null,
    private readonly startOffset = 0,
    private readonly maxOffset = Number.MAX_SAFE_INTEGER,
    private readonly tooLarge: () => Error = () => new Error(`stream exceeds ${maxOffset} bytes`),
  ) {
    // Small: the consumer (a storage write) stages its own buffers; a 1 MiB buffer here only kept
    // more socket chunks alive while the disk caught up.
    super({ highWaterMark: 64 * 1024 });
    // The consumer (a storage write's pipeline) may attach after bytes started to flow; it still
    // sees an earlier failure through the stream's errored state, so it must not crash meanwhile.
    this.on('error', () => undefined);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.startOffset + this.bytes > this.maxOffset) return done(this.tooLarge());
    this.hash?.update(chunk);
    done(null, chunk);
  }

  /** Bytes seen by this stream (not counting `startOffset`). */
  get count(): number {
    return this.bytes;
  }

  /** The running hash (null when counting only); the stream must not be used afterwards. */
  takeHash(): Hash | null {
    return this.hash;
  }

  /**
   * Pipes `source` (typically an HTTP request) into this stream, forwarding its errors and
   * client aborts so a consumer never mistakes a cut-off body for a complete one.
   */
  from(source: Readable): this {
    source.once('error', (err) => this.destroy(err));
    source.once('aborted', () => this.destroy(new Error('the client aborted the request body')));
    source.pipe(this);
    return this;
  }
}
