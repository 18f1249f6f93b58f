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

describeStorageDriver('filesystem', {
  make: async () => new FilesystemDriver({ rootDirectory: dir, fsync: true }),
  redirects: false,
  rawListing: async (root) => [...filesUnder(join(dir, 'files', root)), ...filesUnder(join(dir, '.partial'))],
});
