import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { InvalidOffsetError, InvalidPathError, PathNotFoundError, StorageDriver } from '@wharf/storage-api';

/**
 * The shared contract suite every StorageDriver runs unchanged (Distribution's testsuites idea).
 * `make` returns a driver over an empty root; `root` is a fresh path prefix per test so the suite
 * can share one bucket or directory. `largeBytes` defaults to 1 GiB.
 */
export interface DriverSuiteOptions {
  make: () => Promise<StorageDriver>;
  largeBytes?: number;
  /** True when the driver can hand out redirect URLs (S3). */
  redirects: boolean;
  /**
   * Every file or object the backend holds under the test root `root`, plus any scratch state
   * (temporary files, unfinished multipart uploads) anywhere, for leak checks.
   */
  rawListing: (root: string) => Promise<string[]>;
}

const MiB = 1024 * 1024;

/** A stream of `size` pseudo-random bytes produced chunk by chunk (never held whole). */
export function generatedStream(size: number, chunkSize = MiB): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  const block = randomBytes(chunkSize);
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(chunkSize, size - sent);
      const chunk = block.subarray(0, n);
      chunk[0] = (sent / chunkSize) & 0xff; // make chunks differ so offsets matter
      hash.update(chunk);
      sent += n;
      this.push(Buffer.from(chunk));
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/** A stream that yields `data` and then fails, as a client that disconnects mid-upload does. */
export function failingStream(data: Buffer): Readable {
  let done = false;
  return new Readable({
    read() {
      if (!done) {
        done = true;
        this.push(data);
      } else {
        this.destroy(new Error('client went away'));
      }
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function sha256Of(stream: Readable): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { hex: hash.digest('hex'), size };
}

export function describeStorageDriver(name: string, options: DriverSuiteOptions): void {
  describe(`StorageDriver contract: ${name}`, () => {
    let d: StorageDriver;
    let root: string;
    let n = 0;
    beforeAll(async () => {
      d = await options.make();
    });
    beforeEach(() => {
      root = `/suite-${process.pid}-${Date.now().toString(36)}-${n++}`;
    });
    const p = (rel: string) => `${root}/${rel}`;
    const from = (s: string | Buffer) => Readable.from([Buffer.from(s)]);

    describe('paths', () => {
      it.each([
        ['relative', 'a/b'],
        ['empty', ''],
        ['trailing slash', '/a/b/'],
        ['double slash', '/a//b'],
        ['dot component', '/a/./b'],
        ['dot-dot component', '/a/../b'],
        ['backslash', '/a\\b'],
        ['space', '/a b'],
        ['hidden component', '/.partial/x'],
        ['reserved suffix', '/x/data.__seg'],
        ['over-long', `/${'a'.repeat(1100)}`],
      ])('rejects a %s path', async (_label, bad) => {
        await expect(d.putContent(bad, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidPathError);
        await expect(d.stat(bad)).rejects.toBeInstanceOf(InvalidPathError);
      });

      it('accepts deep paths with dots, dashes and underscores', async () => {
        const path = p('blobs/sha256/ab/abc_def-1.2/data');
        await d.putContent(path, Buffer.from('ok'));
        expect((await d.getContent(path)).toString()).toBe('ok');
      });
    });

    describe('content', () => {
      it('stores and reads back small content', async () => {
        await d.putContent(p('a'), Buffer.from('hello'));
        expect((await d.getContent(p('a'))).toString()).toBe('hello');
      });

      it('stores an empty file', async () => {
        await d.putContent(p('empty'), Buffer.alloc(0));
        expect((await d.getContent(p('empty'))).length).toBe(0);
        expect((await d.stat(p('empty')))?.size).toBe(0);
      });

      it('stores a 1-byte file', async () => {
        await d.write(p('one'), from('z'));
        expect((await d.getContent(p('one'))).toString()).toBe('z');
      });

      it('overwrites content atomically', async () => {
        await d.putContent(p('a'), Buffer.from('first version'));
        await d.putContent(p('a'), Buffer.from('2nd'));
        expect((await d.getContent(p('a'))).toString()).toBe('2nd');
      });

      it('getContent of a missing file throws PathNotFoundError', async () => {
        await expect(d.getContent(p('missing'))).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe('streams', () => {
      it('writes a multi-chunk stream and reports its size', async () => {
        const g = generatedStream(3 * MiB + 17, 64 * 1024);
        expect(await d.write(p('multi'), g.stream)).toBe(3 * MiB + 17);
        const read = await sha256Of(await d.reader(p('multi')));
        expect(read).toEqual({ hex: g.digest(), size: 3 * MiB + 17 });
      });

      it('reads from an offset', async () => {
        await d.putContent(p('o'), Buffer.from('0123456789'));
        expect((await readAll(await d.reader(p('o'), 4))).toString()).toBe('456789');
      });

      it('reads a bounded range', async () => {
        await d.putContent(p('o'), Buffer.from('0123456789'));
        expect((await readAll(await d.reader(p('o'), 2, 3))).toString()).toBe('234');
      });

      it('reading at exactly the end yields nothing', async () => {
        await d.putContent(p('o'), Buffer.from('0123'));
        expect((await readAll(await d.reader(p('o'), 4))).length).toBe(0);
      });

      it('reading past the end throws InvalidOffsetError', async () => {
        await d.putContent(p('o'), Buffer.from('0123'));
        await expect(d.reader(p('o'), 5)).rejects.toBeInstanceOf(InvalidOffsetError);
      });

      it('copyTo writes the whole file, or a range, into a writable without ending it', async () => {
        const g = generatedStream(3 * MiB + 11, 64 * 1024);
        await d.write(p('copy'), g.stream);
        const chunks: Buffer[] = [];
        // A slow consumer that keeps every chunk: reused buffers would show up as corruption here.
        const sink = new Writable({
          highWaterMark: 1,
          write(chunk: Buffer, _e, cb) {
            chunks.push(Buffer.from(chunk));
            setImmediate(cb);
          },
        });
        await d.copyTo(p('copy'), sink);
        expect(sink.writableEnded).toBe(false);
        expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(g.digest());
        const part: Buffer[] = [];
        await d.copyTo(p('copy'), new Writable({ write: (c: Buffer, _e, cb) => (part.push(Buffer.from(c)), cb()) }), MiB - 2, 5);
        const whole = Buffer.concat(chunks);
        expect(Buffer.concat(part)).toEqual(whole.subarray(MiB - 2, MiB + 3));
        await expect(d.copyTo(p('nothing-here'), new Writable({ write: (_c, _e, cb) => cb() }))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('reader of a missing file throws PathNotFoundError', async () => {
        await expect(d.reader(p('nope'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('a failed replacing write leaves the old content', async () => {
        await d.putContent(p('keep'), Buffer.from('old'));
        await expect(d.write(p('keep'), failingStream(Buffer.from('partial new data')))).rejects.toThrow();
        expect((await d.getContent(p('keep'))).toString()).toBe('old');
      });

      it('a failed first write leaves no file', async () => {
        await expect(d.write(p('ghost'), failingStream(Buffer.from('partial')))).rejects.toThrow();
        expect(await d.stat(p('ghost'))).toBeNull();
      });

      it(`streams ${(options.largeBytes ?? 1024 * MiB) / MiB} MiB through without buffering`, async () => {
        const size = options.largeBytes ?? 1024 * MiB;
        const before = process.memoryUsage().rss;
        let peak = before;
        const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        try {
          const g = generatedStream(size);
          expect(await d.write(p('large'), g.stream)).toBe(size);
          const read = await sha256Of(await d.reader(p('large')));
          expect(read).toEqual({ hex: g.digest(), size });
          const tail = await readAll(await d.reader(p('large'), size - 10));
          expect(tail.length).toBe(10);
        } finally {
          clearInterval(timer);
        }
        // Buffering a whole stream would grow the heap by at least its size.
        expect(peak - before).toBeLessThan(Math.min(size / 2, 256 * MiB));
        await d.delete(p('large'));
      }, 600_000);
    });

    describe('append', () => {
      it('appends chunks in order', async () => {
        expect(await d.write(p('up'), from('abc'), { append: true })).toBe(3);
        expect(await d.write(p('up'), from('def'), { append: true })).toBe(6);
        expect(await d.write(p('up'), from('g'), { append: true })).toBe(7);
        expect((await d.getContent(p('up'))).toString()).toBe('abcdefg');
        expect((await d.stat(p('up')))?.size).toBe(7);
      });

      it('reads across appended chunks from an offset', async () => {
        await d.write(p('up'), from('abc'), { append: true });
        await d.write(p('up'), from('def'), { append: true });
        expect((await readAll(await d.reader(p('up'), 2, 3))).toString()).toBe('cde');
      });

      it('appends to a file written whole', async () => {
        await d.putContent(p('w'), Buffer.from('head-'));
        expect(await d.write(p('w'), from('tail'), { append: true })).toBe(9);
        expect((await d.getContent(p('w'))).toString()).toBe('head-tail');
      });

      it('a failed append leaves the file as it was (resumable)', async () => {
        await d.write(p('r'), from('abc'), { append: true });
        await expect(d.write(p('r'), failingStream(Buffer.from('xyz')), { append: true })).rejects.toThrow();
        expect((await d.stat(p('r')))?.size).toBe(3);
        expect(await d.write(p('r'), from('def'), { append: true })).toBe(6);
        expect((await d.getContent(p('r'))).toString()).toBe('abcdef');
      });

      it('keeps every byte of streams with odd chunk sizes appended at odd offsets', async () => {
        // [bytes, chunk size] of each append
        const shapes = [[3, 3], [4093 * 5, 4093], [2 * MiB + 7, 100_003], [5000, 5000]] as const;
        const parts = shapes.map(([size, chunk]) => ({ size, ...generatedStream(size, chunk) }));
        let total = 0;
        for (const part of parts) total = await d.write(p('odd'), part.stream, { append: true });
        expect(total).toBe(3 + 4093 * 5 + 2 * MiB + 7 + 5000);
        const whole = await d.getContent(p('odd'));
        let at = 0;
        for (const part of parts) {
          expect(createHash('sha256').update(whole.subarray(at, at + part.size)).digest('hex')).toBe(part.digest());
          at += part.size;
        }
        expect(at).toBe(whole.length);
      }, 60_000);

      it('appends large chunks (above the multipart threshold) and moves the result', async () => {
        const a = generatedStream(6 * MiB + 5);
        const b = generatedStream(2 * MiB);
        const c = generatedStream(7 * MiB);
        await d.write(p('big'), a.stream, { append: true });
        await d.write(p('big'), b.stream, { append: true });
        expect(await d.write(p('big'), c.stream, { append: true })).toBe(15 * MiB + 5);
        await d.move(p('big'), p('final'));
        const whole = await readAll(await d.reader(p('final')));
        expect(whole.length).toBe(15 * MiB + 5);
        // Each appended stream must come back intact at its own offset.
        expect(createHash('sha256').update(whole.subarray(0, 6 * MiB + 5)).digest('hex')).toBe(a.digest());
        expect(createHash('sha256').update(whole.subarray(6 * MiB + 5, 8 * MiB + 5)).digest('hex')).toBe(b.digest());
        expect(createHash('sha256').update(whole.subarray(8 * MiB + 5)).digest('hex')).toBe(c.digest());
      }, 120_000);
    });

    describe('concurrency', () => {
      it('concurrent writers to different paths do not interfere', async () => {
        const streams = Array.from({ length: 8 }, () => generatedStream(512 * 1024 + 3, 16 * 1024));
        await Promise.all(streams.map((g, i) => d.write(p(`c/${i}`), g.stream)));
        for (const [i, g] of streams.entries()) {
          expect((await sha256Of(await d.reader(p(`c/${i}`)))).hex).toBe(g.digest());
        }
      });
    });

    describe('stat, list, move, delete', () => {
      it('stat reports size and a recent modification time', async () => {
        await d.putContent(p('s'), Buffer.from('12345'));
        const info = await d.stat(p('s'));
        expect(info?.size).toBe(5);
        expect(info?.isDirectory).toBe(false);
        expect(Math.abs(Date.now() - (info as { modified: Date }).modified.getTime())).toBeLessThan(120_000);
      });

      it('stat of an appended file reports when the last append landed, not now', async () => {
        await d.write(p('aged'), from('a'), { append: true });
        await d.write(p('aged'), from('b'), { append: true });
        const appended = Date.now();
        await new Promise((r) => setTimeout(r, 1500));
        const info = await d.stat(p('aged'));
        expect(info?.size).toBe(2);
        expect((info as { modified: Date }).modified.getTime()).toBeLessThanOrEqual(appended);
      });

      it('stat of a missing path is null', async () => {
        expect(await d.stat(p('missing'))).toBeNull();
      });

      it('stat of a directory says so', async () => {
        await d.putContent(p('dir/file'), Buffer.from('x'));
        expect((await d.stat(p('dir')))?.isDirectory).toBe(true);
      });

      it('lists direct children, files and directories, sorted', async () => {
        await d.putContent(p('l/b'), Buffer.from('x'));
        await d.putContent(p('l/a'), Buffer.from('x'));
        await d.putContent(p('l/sub/deep'), Buffer.from('x'));
        await d.write(p('l/appended'), from('x'), { append: true });
        expect(await d.list(p('l'))).toEqual([p('l/a'), p('l/appended'), p('l/b'), p('l/sub')]);
      });

      it('lists a directory that holds only directories (the blob layout: /blobs/sha256/<xx>/<hex>/data)', async () => {
        await d.putContent(p('deep/ab/abcd/data'), Buffer.from('x'));
        expect(await d.list(p('deep'))).toEqual([p('deep/ab')]);
        expect(await d.list(p('deep/ab'))).toEqual([p('deep/ab/abcd')]);
      });

      it('list of a missing directory throws PathNotFoundError', async () => {
        await expect(d.list(p('none'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('moves a file', async () => {
        await d.putContent(p('m1'), Buffer.from('moving'));
        await d.move(p('m1'), p('x/y/m2'));
        expect(await d.stat(p('m1'))).toBeNull();
        expect((await d.getContent(p('x/y/m2'))).toString()).toBe('moving');
      });

      it('move overwrites the destination', async () => {
        await d.putContent(p('m1'), Buffer.from('new'));
        await d.putContent(p('m2'), Buffer.from('old content'));
        await d.move(p('m1'), p('m2'));
        expect((await d.getContent(p('m2'))).toString()).toBe('new');
      });

      it('move of a missing file throws PathNotFoundError', async () => {
        await expect(d.move(p('nothing'), p('dest'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('deletes a file', async () => {
        await d.putContent(p('del'), Buffer.from('x'));
        await d.delete(p('del'));
        expect(await d.stat(p('del'))).toBeNull();
      });

      it('deletes a directory tree', async () => {
        await d.putContent(p('tree/a'), Buffer.from('x'));
        await d.putContent(p('tree/b/c'), Buffer.from('x'));
        await d.write(p('tree/b/up'), from('x'), { append: true });
        await d.delete(p('tree'));
        expect(await d.stat(p('tree'))).toBeNull();
        expect(await d.stat(p('tree/b/c'))).toBeNull();
        expect(await d.stat(p('tree/b/up'))).toBeNull();
      });

      it('delete of a missing path throws PathNotFoundError', async () => {
        await expect(d.delete(p('ghost'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('deleteMany removes many files, skips missing ones and prunes only the emptied parents', async () => {
        const blob = (i: number) => p(`many/ab/${String(i).padStart(4, '0')}/data`);
        const paths = Array.from({ length: 1205 }, (_, i) => blob(i)); // more than one S3 batch
        for (let i = 0; i < paths.length; i += 100) {
          await Promise.all(paths.slice(i, i + 100).map((path) => d.putContent(path, Buffer.from(path))));
        }
        await d.putContent(p('many/ab/keep/data'), Buffer.from('kept'));
        await d.putContent(p('many/ab/0003/other'), Buffer.from('sibling'));
        await d.write(p('many/ab/moved-src'), from('moved'));
        await d.move(p('many/ab/moved-src'), p('many/ab/moved/data'));
        await d.deleteMany([...paths, p('many/ab/ghost/data'), p('many/ab/moved/data')]);
        expect(await d.stat(blob(0))).toBeNull();
        expect(await d.stat(blob(1204))).toBeNull();
        expect(await d.stat(p('many/ab/moved/data'))).toBeNull();
        expect((await d.getContent(p('many/ab/keep/data'))).toString()).toBe('kept');
        expect((await d.getContent(p('many/ab/0003/other'))).toString()).toBe('sibling');
        expect(await d.list(p('many/ab'))).toEqual([p('many/ab/0003'), p('many/ab/keep')]);
        await d.deleteMany([]);
      });

      it('deleting a sibling with a common name prefix leaves the other', async () => {
        await d.putContent(p('pre'), Buffer.from('1'));
        await d.putContent(p('prefix'), Buffer.from('2'));
        await d.delete(p('pre'));
        expect((await d.getContent(p('prefix'))).toString()).toBe('2');
      });
    });

    describe('redirects and hygiene', () => {
      it(options.redirects ? 'gives a redirect URL that serves the bytes' : 'has no redirect URL', async () => {
        await d.putContent(p('r'), Buffer.from('redirected bytes'));
        const url = await d.redirectUrl(p('r'), { expiresInSeconds: 60 });
        if (!options.redirects) {
          expect(url).toBeNull();
          return;
        }
        expect(url).toMatch(/^https?:\/\//);
        expect(url).toContain('X-Amz-Expires=60');
        const res = await fetch(url as string);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('redirected bytes');
      });

      it('leaves nothing behind after writes, failed writes, appends, moves and deletes', async () => {
        await d.putContent(p('h/a'), Buffer.from('x'));
        await expect(d.write(p('h/b'), failingStream(Buffer.alloc(100)))).rejects.toThrow();
        await d.write(p('h/c'), from('1'), { append: true });
        await d.write(p('h/c'), from('2'), { append: true });
        await expect(d.write(p('h/c'), failingStream(Buffer.alloc(10)), { append: true })).rejects.toThrow();
        await d.move(p('h/c'), p('h/d'));
        await d.delete(p('h/a'));
        await d.delete(p('h/d'));
        expect(await options.rawListing(root)).toEqual([]);
      });
    });
  });
}
