import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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
