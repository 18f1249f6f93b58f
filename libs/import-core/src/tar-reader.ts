import { InvalidImageFormat } from './import-errors';

/** One tar member as the archive states it (names are not normalised or checked here). */
export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** The raw type flag, for messages about `other` entries. */
  typeflag: string;
  size: number;
  linkname: string;
  /** Offset of the entry's first data byte in the (uncompressed) tar stream. */
  offset: number;
}

const BLOCK = 512;
/** pax and GNU long-name records are metadata: anything larger is hostile. */
const MAX_META = 1024 * 1024;

/**
 * Exact-size reads over an async byte source, without copying where a chunk already holds the
 * bytes. `offset` counts bytes consumed.
 */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  offset = 0;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) return false;
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      if (chunk.length === 0) continue;
      this.buf = chunk;
      this.pos = 0;
      return true;
    }
  }

  /** Exactly `n` bytes; null when the source ended before the first of them. Throws when it ends between. */
  async exact(n: number): Promise<Buffer | null> {
    if (this.pos === this.buf.length && !(await this.fill())) return null;
    if (this.buf.length - this.pos >= n) {
      const out = this.buf.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      if (this.pos === this.buf.length && !(await this.fill())) throw truncated(this.offset);
      const take = Math.min(need, this.buf.length - this.pos);
      parts.push(this.buf.subarray(this.pos, this.pos + take));
      this.pos += take;
      this.offset += take;
      need -= take;
    }
    return Buffer.concat(parts);
  }

  /** The next `n` bytes as they arrive (slices of the source's chunks). */
  async *take(n: number): AsyncGenerator<Buffer> {
    let need = n;
    while (need > 0) {
      if (this.pos === this.buf.length && !(await this.fill())) throw truncated(this.offset);
      const take = Math.min(need, this.buf.length - this.pos);
      const out = this.buf.subarray(this.pos, this.pos + take);
      this.pos += take;
      this.offset += take;
      need -= take;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)); // eslint-disable-line @typescript-eslint/no-unused-vars
  }
}

function truncated(offset: number): InvalidImageFormat {
  return new InvalidImageFormat(`the archive is truncated (it ends inside an entry, after ${offset} bytes)`);
}

function cstring(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

/** An octal number field, or GNU base-256 when the high bit of the first byte is set. */
function numberField(b: Buffer, start: number, len: number, offset: number): number {
  if ((b[start] as number) & 0x80) {
    let v = (b[start] as number) & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (b[i] as number);
    if (!Number.isSafeInteger(v)) throw new InvalidImageFormat(`tar header at byte ${offset} has an impossible size`);
    return v;
  }
  const text = cstring(b, start, len).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new InvalidImageFormat(`tar header at byte ${offset} is corrupt (number field "${text.slice(0, 20)}")`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = cstring(h, 148, 8).trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === parseInt(stored, 8);
}

function parsePax(data: Buffer, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space > pos ? Number(data.toString('ascii', pos, space)) : NaN;
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) {
      throw new InvalidImageFormat(`pax header at byte ${offset} is corrupt`);
    }
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntry['type']> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'directory', '2': 'symlink', '1': 'hardlink' };

/**
 * Reads a tar stream (ustar, pax and GNU long names) one entry at a time. Each yielded entry's
 * `body` must be consumed or abandoned before asking for the next (the rest is skipped then).
 * Throws InvalidImageFormat for a stream that is not a tar archive, a corrupt header or a
 * truncated archive; the source's own errors pass through.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Buffer> }> {
  const r = new ByteReader(source[Symbol.asyncIterator]());
  let pax = new Map<string, string>();
  let longName: string | null = null;
  let longLink: string | null = null;
  let first = true;
  for (;;) {
    const start = r.offset;
    const h = await r.exact(BLOCK);
    if (h === null) {
      if (first) throw new InvalidImageFormat('not a tar archive (the file is empty)');
      return; // some writers omit the two zero blocks
    }
    if (h.every((b) => b === 0)) return;
    if (!checksumOk(h)) {
      throw new InvalidImageFormat(first ? 'not a tar archive' : `corrupt tar header at byte ${start} (checksum mismatch)`);
    }
    first = false;
    const typeflag = String.fromCharCode(h[156] as number);
    const size = numberField(h, 124, 12, start);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META) throw new InvalidImageFormat(`tar metadata record at byte ${start} is ${size} bytes`);
      const data = size > 0 ? ((await r.exact(padded)) ?? Buffer.alloc(0)) : Buffer.alloc(0);
      if (data.length < padded) throw truncated(r.offset);
      const content = data.subarray(0, size);
      if (typeflag === 'x') pax = parsePax(content, start);
      else if (typeflag === 'L') longName = cstring(content, 0, content.length);
      else if (typeflag === 'K') longLink = cstring(content, 0, content.length);
      // 'g' (global pax) carries nothing an image archive needs.
      continue;
    }
    const magic = h.toString('latin1', 257, 263);
    const prefix = magic === 'ustar\0' ? cstring(h, 345, 155) : '';
    let name = cstring(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    name = pax.get('path') ?? longName ?? name;
    const linkname = pax.get('linkpath') ?? longLink ?? cstring(h, 157, 100);
    const paxSize = pax.get('size');
    const realSize = paxSize !== undefined && /^\d+$/.test(paxSize) ? Number(paxSize) : size;
    const realPadded = Math.ceil(realSize / BLOCK) * BLOCK;
    pax = new Map();
    longName = null;
    longLink = null;
    const entry: TarEntry = { name, type: TYPES[typeflag] ?? 'other', typeflag, size: realSize, linkname, offset: r.offset };
    let consumed = 0;
    let done = false;
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => {
        const it = r.take(realSize - consumed);
        return {
          next: async () => {
            const n = await it.next();
            if (n.done) done = true;
            else consumed += n.value.length;
            return n;
          },
        };
      },
    };
    yield { entry, body };
    if (!done) await r.skip(realSize - consumed);
    await r.skip(realPadded - realSize);
  }
}
