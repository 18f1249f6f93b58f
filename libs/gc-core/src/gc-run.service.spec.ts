import type { AuditEvent, AuditLog } from '@wharf/auth-core';
import type { GarbageCollector, GcReport } from '@wharf/registry-core';
import { fakePort, PortCall, rejectionOf } from '@wharf/testing';
import { ForbiddenError, NotFoundError } from '@wharf/util';
import { specUser } from '../../org-core/src/spec-users';
import { GcRunService, INTERRUPTED } from './gc-run.service';
import type { GcCounts, GcQueue, GcRun, GcRunStore, NewGcRun } from './ports';

const admin = specUser({ id: 'u-admin', username: 'admin', isAdmin: true });
const settings = { graceSeconds: 3600, uploadTtlHours: 24, keepUntagged: false };
const zero: GcCounts = { blobsRemoved: 0, bytesFreed: 0, manifestsRemoved: 0, uploadsRemoved: 0 };

/** GcRunService with the run history in a map, the lock and the queue recorded, the collector faked. */
function build(options: { queueDown?: boolean; lockTaken?: boolean; collect?: GarbageCollector['collect'] } = {}) {
  const calls: PortCall[] = [];
  const runs = new Map<string, GcRun>();
  const audit: AuditEvent[] = [];
  let ids = 0;
  const store = fakePort<GcRunStore>(
    'runs',
    {
      create: async (r: NewGcRun) => {
        const run: GcRun = { ...r, ...zero, status: 'queued', createdAt: new Date(0), startedAt: null, finishedAt: null, errors: [] };
        runs.set(r.id, run);
        return { ...run };
      },
      find: async (id) => (runs.has(id) ? { ...(runs.get(id) as GcRun) } : null),
      list: async (offset, limit) => ({ items: [...runs.values()].slice(offset, offset + limit), total: runs.size }),
      exclusively: async (fn, wait) => (wait === false && options.lockTaken ? null : fn()),
      start: async (id) => {
        const run = runs.get(id);
        if (!run || run.status !== 'queued') return null;
        Object.assign(run, { status: 'running', startedAt: new Date(1000) });
        return { ...run };
      },
      failRunning: async (reason) => {
        const failed = [...runs.values()].filter((r) => r.status === 'running');
        for (const r of failed) Object.assign(r, { status: 'failed', errors: [...r.errors, reason] });
        return failed.map((r) => r.id);
      },
      progress: async (id, c) => void Object.assign(runs.get(id) as GcRun, c),
      finish: async (id, status, c, errors) => void Object.assign(runs.get(id) as GcRun, c, { status, errors, finishedAt: new Date(3500) }),
    },
    calls,
  );
  const queue = fakePort<GcQueue>(
    'queue',
    {
      enqueue: async () => {
        if (options.queueDown) throw new Error('Redis does not answer');
      },
    },
    calls,
  );
  const auditLog = fakePort<AuditLog>('audit', { record: async (e) => void audit.push(e) }, calls);
  const report: GcReport = { blobsRemoved: 3, bytesFreed: 300, manifestsRemoved: 1, uploadsRemoved: 2, errors: [] };
  const collector = fakePort<GarbageCollector>(
    'collector',
    {
      collect: options.collect ?? (async (_options, progress) => (await progress?.(report), report)),
      preview: async () => ({ blobs: 5, bytes: 500, manifests: 2, uploads: 1 }),
    },
    calls,
  );
  const service = new GcRunService(store, queue, auditLog, settings, () => `00000000-0000-4000-8000-00000000000${++ids}`, () => new Date(2000));
  return { service, runs, audit, calls, collector };
}

describe('GcRunService', () => {
  it('refuses anyone but a system administrator, creating and queueing nothing', async () => {
    const { service, calls } = build();
    await rejectionOf(service.request(specUser(), { dryRun: true }, null), ForbiddenError);
    await rejectionOf(service.list(specUser(), 0, 20), ForbiddenError);
    await rejectionOf(service.get(specUser(), '00000000-0000-4000-8000-000000000001'), ForbiddenError);
    expect(calls).toEqual([]);
  });

  it('queues a requested run under its own id and records who asked', async () => {
    const { service, calls, audit } = build();
    const run = await service.request(admin, { dryRun: true }, '203.0.113.9');
    expect(run).toMatchObject({ status: 'queued', dryRun: true, keepUntagged: false, trigger: 'api', requestedBy: 'admin', durationSeconds: null });
    expect(calls.filter(([m]) => m === 'queue.enqueue')).toEqual([['queue.enqueue', run.id, true]]);
    expect(audit).toEqual([expect.objectContaining({ actor: 'admin', action: 'gc.run.request', resource: run.id, clientAddress: '203.0.113.9' })]);
    expect(await service.get(admin, run.id)).toMatchObject({ id: run.id, status: 'queued' });
    await rejectionOf(service.get(admin, '00000000-0000-4000-8000-00000000000f'), NotFoundError);
  });

  it('marks a run it could not queue failed, saying why, and fails the request', async () => {
    const { service, runs } = build({ queueDown: true });
    await expect(service.request(admin, {}, null)).rejects.toThrow('Redis does not answer');
    expect([...runs.values()]).toEqual([expect.objectContaining({ status: 'failed', errors: ['could not be queued: Redis does not answer'] })]);
  });

  it('executes a run under the lock: earlier interrupted runs failed first, then collect, counts and audit', async () => {
    const { service, runs, calls, audit, collector } = build();
    const stale = await service.request(admin, {}, null);
    (runs.get(stale.id) as GcRun).status = 'running'; // its worker was killed mid-run
    const run = await service.request(admin, {}, null);
    calls.length = 0;
    await service.execute(run.id, false, collector);
    expect(runs.get(stale.id)).toMatchObject({ status: 'failed', errors: [INTERRUPTED] });
    expect(calls.map(([m]) => m)).toEqual([
      'runs.exclusively',
      'runs.failRunning',
      'runs.start',
      'collector.collect',
      'runs.progress',
      'runs.finish',
      'audit.record',
    ]);
    expect(await service.get(admin, run.id)).toMatchObject({
      status: 'succeeded',
      blobsRemoved: 3,
      bytesFreed: 300,
      manifestsRemoved: 1,
      uploadsRemoved: 2,
      durationSeconds: 2.5,
    });
    expect(audit.filter((e) => e.action === 'gc.run')).toEqual([expect.objectContaining({ resource: run.id, result: 'success' })]);
  });

  it('passes the settings and the keepUntagged of the run to the collector', async () => {
    const { service, calls, collector } = build();
    const run = await service.request(admin, { keepUntagged: true }, null);
    await service.execute(run.id, false, collector);
    expect(calls.find(([m]) => m === 'collector.collect')?.[1]).toEqual({ graceSeconds: 3600, uploadTtlHours: 24, keepUntagged: true });
  });

  it('a dry run previews and removes nothing', async () => {
    const { service, calls, collector } = build();
    const run = await service.request(admin, { dryRun: true }, null);
    await service.execute(run.id, true, collector);
    expect(calls.some(([m]) => m === 'collector.collect')).toBe(false);
    expect(await service.get(admin, run.id)).toMatchObject({ status: 'succeeded', dryRun: true, blobsRemoved: 5, bytesFreed: 500, manifestsRemoved: 2 });
  });

  it('a redelivered job finds its run done and does nothing; an unknown run is refused', async () => {
    const { service, calls, collector } = build();
    const run = await service.request(admin, {}, null);
    await service.execute(run.id, false, collector);
    await service.execute(run.id, false, collector);
    expect(calls.filter(([m]) => m === 'collector.collect')).toHaveLength(1);
    await rejectionOf(service.execute('00000000-0000-4000-8000-00000000000e', false, collector), NotFoundError);
  });

  it('a starting worker fails runs a killed worker left running, unless a run is going on', async () => {
    for (const lockTaken of [false, true]) {
      const { service, runs } = build({ lockTaken });
      const run = await service.request(admin, {}, null);
      (runs.get(run.id) as GcRun).status = 'running';
      expect(await service.recoverInterrupted()).toEqual(lockTaken ? [] : [run.id]);
      expect(runs.get(run.id)?.status).toBe(lockTaken ? 'running' : 'failed');
    }
  });

  it('a scheduled job records a run of its own', async () => {
    const { service, runs, collector } = build();
    await service.execute(null, false, collector);
    expect([...runs.values()]).toEqual([expect.objectContaining({ trigger: 'schedule', requestedBy: null, status: 'succeeded' })]);
  });

  it('a collection that fails marks the run failed with the message and the counts so far', async () => {
    const { service, audit } = build();
    const failing = build({
      collect: async (_options?: unknown, progress?: (r: GcReport) => Promise<void>) => {
        await progress?.({ blobsRemoved: 1000, bytesFreed: 5000, manifestsRemoved: 0, uploadsRemoved: 0, errors: [] });
        throw new Error('storage unreachable');
      },
    }).collector;
    const run = await service.request(admin, {}, null);
    await service.execute(run.id, false, failing);
    expect(await service.get(admin, run.id)).toMatchObject({ status: 'failed', errors: ['storage unreachable'], blobsRemoved: 1000, bytesFreed: 5000 });
    expect(audit.find((e) => e.action === 'gc.run')).toMatchObject({ result: 'failure' });
  });
});
