import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
