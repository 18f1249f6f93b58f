import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectIo } from './direct-io';
import { FilesystemDriver } from './filesystem.driver';
import { describeStorageDriver } from './testing/driver-suite';

const dir = mkdtempSync(join(tmpdir(), 'wharf-fs-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesUnder(path: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = join(path, e);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

// Large writes go direct to the disk (O_DIRECT) where the filesystem allows; the page-cache path is
// what other filesystems get. Both pass the same contract.
for (const directIo of [true, false]) {
  const root = join(dir, directIo ? 'direct' : 'buffered');
  describeStorageDriver(`filesystem (${directIo ? 'direct I/O' : 'page cache'})`, {
    make: async () => new FilesystemDriver({ rootDirectory: root, fsync: true, directIo }),
    redirects: false,
    rawListing: async (r) => [...filesUnder(join(root, 'files', r)), ...filesUnder(join(root, '.partial'))],
  });
}

describe('direct I/O on the test filesystem', () => {
  it('is usable here, so the "direct I/O" contract run above really wrote direct', async () => {
    const usable = await new DirectIo(join(dir, 'probe-check', 'probe')).available();
    if (!usable && process.env['CI'] !== 'true') {
      process.stdout.write(`SKIPPED: ${tmpdir()} refuses O_DIRECT; the "direct I/O" run used the page cache\n`);
      return;
    }
    expect(usable).toBe(true);
  });
});

/** Open flags (octal in /proc) of this process's descriptors whose path contains `part`. */
function openFlags(part: string): number[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      if (!readlinkSync(`/proc/self/fd/${fd}`).includes(part)) return [];
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags ? [parseInt(flags, 8)] : [];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/** 8 MiB in 1 MiB chunks; after half of it, records the open flags of the file being written. */
function watchedSource(part: string, seen: number[]): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === 4) seen.push(...openFlags(part));
      this.push(sent++ < 8 ? Buffer.alloc(1024 * 1024, sent) : null);
    },
  });
}

describe('filesystem driver writes', () => {
  const usable = () => new DirectIo(join(dir, 'probe-flags', 'probe')).available();

  it('in direct-I/O mode a large blob is written through a descriptor opened with O_DIRECT; in page-cache mode never', async () => {
    if (!(await usable()) && process.env['CI'] !== 'true') {
      process.stdout.write(`SKIPPED: ${tmpdir()} refuses O_DIRECT\n`);
      return;
    }
    for (const directIo of [true, false]) {
      const root = join(dir, `flags-${directIo}`);
      const seen: number[] = [];
      const d = new FilesystemDriver({ rootDirectory: root, fsync: false, directIo });
      await d.write('/blob', watchedSource(join(root, '.partial'), seen));
      expect(seen.length).toBeGreaterThan(0);
      expect([directIo, seen.some((f) => (f & constants.O_DIRECT) !== 0)]).toEqual([directIo, directIo]);
      expect(statSync(join(root, 'files', 'blob')).size).toBe(8 * 1024 * 1024);
    }
  });

  it('keeps blob and upload bytes private: files 0600 in directories 0700', async () => {
    for (const directIo of [true, false]) {
      const root = join(dir, `modes-${directIo}`);
      const d = new FilesystemDriver({ rootDirectory: root, fsync: false, directIo });
      await d.write('/blobs/sha256/ab/abcd/data', Readable.from([Buffer.alloc(3 * 1024 * 1024, 1)]));
      await d.write('/uploads/u1/data', Readable.from([Buffer.from('first')]), { append: true });
      await d.write('/uploads/u1/data', Readable.from([Buffer.alloc(2 * 1024 * 1024, 2)]), { append: true });
      await d.move('/uploads/u1/data', '/blobs/sha256/cd/cdef/data');
      for (const file of ['blobs/sha256/ab/abcd/data', 'blobs/sha256/cd/cdef/data']) {
        expect([directIo, file, statSync(join(root, 'files', file)).mode & 0o777]).toEqual([directIo, file, 0o600]);
      }
      for (const sub of ['blobs', 'blobs/sha256', 'blobs/sha256/ab', 'blobs/sha256/ab/abcd', 'uploads', 'uploads/u1']) {
        expect([directIo, sub, statSync(join(root, 'files', sub)).mode & 0o777]).toEqual([directIo, sub, 0o700]);
      }
    }
  });
});
