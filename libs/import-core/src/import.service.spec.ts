import { Readable } from 'node:stream';
import type { AuditLog } from '@wharf/auth-core';
import { fakePort, PortCall, rejectionOf } from '@wharf/testing';
import { ForbiddenError, NotFoundError, TooManyRequestsError } from '@wharf/util';
import { ImageImporter } from './image-importer';
import { ImportService, uploadSettings } from './import.service';
import type { ArchiveStore, ImportAccess, ImportQueue, ImportRecord, ImportStore } from './ports';
import { specUser } from '../../org-core/src/spec-users';

const row = (over: Partial<ImportRecord>): ImportRecord => ({
  id: 'u1',
  batchId: 'b1',
  organization: 'team',
  fileName: 'app.tar',
  userId: 'user-1',
  username: 'ann',
  status: 'queued',
  phase: null,
  bytesTotal: 10,
  bytesDone: 0,
  images: [],
  error: null,
  createdAt: new Date('2026-12-02T12:00:00Z'),
  startedAt: null,
  finishedAt: null,
  ...over,
});

function service(rows: ImportRecord[], calls: PortCall[], unfinished = 0) {
  const store = fakePort<ImportStore>(
    'store',
    {
      batch: async () => rows,
      start: async (id) => rows.some((r) => r.id === id && (r.status === 'queued' || r.status === 'importing')),
      fail: async () => undefined,
      succeed: async () => undefined,
      progress: async () => undefined,
      unfinished: async () => unfinished,
    },
    calls,
  );
  const archives = fakePort<ArchiveStore>('archives', { open: async () => Readable.from([]), remove: async () => undefined }, calls);
  const access = fakePort<ImportAccess>('access', { requireUploader: async () => undefined }, calls);
  const audit = fakePort<AuditLog>('audit', { record: async () => undefined }, calls);
  const queue = fakePort<ImportQueue>('queue', {}, calls);
  return new ImportService(store, queue, archives, access, audit, uploadSettings({ uploadMaxFileBytes: 1024 * 1024, uploadMaxFiles: 10, uploadMaxPending: 2 }), () => 'new-id');
}

const importer = (run: ImageImporter['run']) => ({ run }) as unknown as ImageImporter;
const methods = (calls: PortCall[]) => calls.map((c) => c[0]);

describe('ImportService.importBatch (the worker half)', () => {
  it('imports the files in order, skips the finished ones, and records each', async () => {
    const calls: PortCall[] = [];
    const rows = [row({ id: 'done', status: 'succeeded' }), row({ id: 'u1' }), row({ id: 'u2' })];
    const seen: string[] = [];
    await service(rows, calls).importBatch('b1', importer(async (_open, org) => (seen.push(org), [{ repository: `${org}/app`, tags: ['v1'], digest: 'sha256:1' }])), async () => ({}) as never);
    expect(seen).toEqual(['team', 'team']);
    expect(calls.filter((c) => c[0] === 'store.succeed').map((c) => c[1])).toEqual(['u1', 'u2']);
    expect(calls.filter((c) => c[0] === 'archives.remove').map((c) => c[1])).toEqual(['u1', 'u2']);
  });

  it('fails a file whose uploader was disabled meanwhile, with the reason, and goes on', async () => {
    const calls: PortCall[] = [];
    await service([row({ id: 'u1' }), row({ id: 'u2', userId: 'ok' })], calls).importBatch(
      'b1',
      importer(async () => []),
      async (r) => {
        if (r.userId === 'user-1') throw new ForbiddenError('the uploader ann is disabled or no longer exists');
        return {} as never;
      },
    );
    expect(calls.find((c) => c[0] === 'store.fail')).toEqual(['store.fail', 'u1', 'the uploader ann is disabled or no longer exists']);
    expect(calls.filter((c) => c[0] === 'store.succeed').map((c) => c[1])).toEqual(['u2']);
  });

  it('a fault of the service (storage, database) is thrown, so that the job is retried, and the file is not failed', async () => {
    const calls: PortCall[] = [];
    const err = await rejectionOf(
      service([row({})], calls).importBatch('b1', importer(async () => Promise.reject(new Error('EIO: i/o error'))), async () => ({}) as never),
      Error,
    );
    expect(err.message).toBe('EIO: i/o error');
    expect(methods(calls)).not.toContain('store.fail');
  });
});

describe('ImportService.begin (the API half)', () => {
  it('refuses a request declared larger than all the files may be, before anything else', async () => {
    const calls: PortCall[] = [];
    await expect(service([], calls).begin(specUser(), 'team', 11 * 1024 * 1024 + 1024 * 1024 + 1)).rejects.toThrow('at most 10 files of 1 MiB may be uploaded at once');
    expect(methods(calls)).toEqual([]);
  });

  it('refuses an account with too many unfinished files with 429', async () => {
    const err = await rejectionOf(service([], [], 2).begin(specUser(), 'team', null), TooManyRequestsError);
    expect(err.message).toBe('2 files uploaded by your account are not imported yet (the limit is 2); wait for them to finish');
  });

  it('hides an upload from a user who neither made it nor manages its organization', async () => {
    const calls: PortCall[] = [];
    const store = fakePort<ImportStore>('store', { find: async () => row({ userId: 'someone-else' }) }, calls);
    const access = fakePort<ImportAccess>('access', { canManage: async () => false }, calls);
    const s = new ImportService(store, fakePort('queue', {}), fakePort('archives', {}), access, fakePort('audit', {}), uploadSettings({ uploadMaxFileBytes: 1, uploadMaxFiles: 1, uploadMaxPending: 1 }), () => 'x');
    await rejectionOf(s.get(specUser({ id: 'me' }), 'u1'), NotFoundError);
    expect((await s.get(specUser({ id: 'someone-else' }), 'u1')).id).toBe('u1');
  });
});
