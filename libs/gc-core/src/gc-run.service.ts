import type { AuditLog, UserRecord } from '@wharf/auth-core';
import type { GarbageCollector, GcOptions, GcReport } from '@wharf/registry-core';
import { ForbiddenError, NotFoundError } from '@wharf/util';
import { GcCounts, GcQueue, GcRun, GcRunStore, GcTrigger } from './ports';

export interface GcRunOut extends GcCounts {
  id: string;
  trigger: GcTrigger;
  requestedBy: string | null;
  dryRun: boolean;
  keepUntagged: boolean;
  status: GcRun['status'];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds from start to finish (so far, while running); null before it starts. */
  durationSeconds: number | null;
  errors: string[];
}

export interface GcSettings {
  graceSeconds: number;
  uploadTtlHours: number;
  keepUntagged: boolean;
}

export const INTERRUPTED = 'interrupted: the gc worker stopped during the run; the next run finishes its work';

function out(run: GcRun, now: Date): GcRunOut {
  const end = run.finishedAt ?? (run.status === 'running' ? now : null);
  return {
    id: run.id,
    trigger: run.trigger,
    requestedBy: run.requestedBy,
    dryRun: run.dryRun,
    keepUntagged: run.keepUntagged,
    status: run.status,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationSeconds: run.startedAt && end ? Math.round((end.getTime() - run.startedAt.getTime()) / 100) / 10 : null,
    blobsRemoved: run.blobsRemoved,
    bytesFreed: run.bytesFreed,
    manifestsRemoved: run.manifestsRemoved,
    uploadsRemoved: run.uploadsRemoved,
    errors: run.errors,
  };
}

const NOTHING: GcCounts = { blobsRemoved: 0, bytesFreed: 0, manifestsRemoved: 0, uploadsRemoved: 0 };

function counts(r: GcReport): GcCounts {
  return { blobsRemoved: r.blobsRemoved, bytesFreed: r.bytesFreed, manifestsRemoved: r.manifestsRemoved, uploadsRemoved: r.uploadsRemoved };
}

/**
 * Garbage-collection runs (SPEC §9): a system administrator asks for one (or a dry run) and reads
 * the history; the `gc` worker executes them one at a time across the installation. A run killed
 * with its worker is marked failed by the next worker that takes the lock; its leftovers (blobs
 * half deleted) are finished by the next run, which always starts with them.
 */
export class GcRunService {
  constructor(
    private readonly runs: GcRunStore,
    private readonly queue: GcQueue,
    private readonly audit: AuditLog,
    private readonly settings: GcSettings,
    private readonly newId: () => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async request(caller: UserRecord, body: { dryRun?: boolean; keepUntagged?: boolean }, clientAddress: string | null): Promise<GcRunOut> {
    this.requireAdmin(caller);
    const run = await this.runs.create({
      id: this.newId(),
      trigger: 'api',
      requestedBy: caller.username,
      dryRun: body.dryRun ?? false,
      keepUntagged: body.keepUntagged ?? this.settings.keepUntagged,
    });
    try {
      await this.queue.enqueue(run.id, run.dryRun);
    } catch (err) {
      await this.runs.finish(run.id, 'failed', NOTHING, [
        `could not be queued: ${err instanceof Error ? err.message : String(err)}`,
      ]);
      throw err;
    }
    await this.audit.record({
      actor: caller.username,
      accountId: caller.accountId,
      action: 'gc.run.request',
      resource: run.id,
      result: 'success',
      clientAddress,
      detail: { dryRun: run.dryRun, keepUntagged: run.keepUntagged },
    });
    return out(run, this.now());
  }

  async list(caller: UserRecord, offset: number, limit: number): Promise<{ items: GcRunOut[]; total: number }> {
    this.requireAdmin(caller);
    const { items, total } = await this.runs.list(offset, limit);
    const now = this.now();
    return { items: items.map((r) => out(r, now)), total };
  }

  async get(caller: UserRecord, id: string): Promise<GcRunOut> {
    this.requireAdmin(caller);
    const run = await this.runs.find(id);
    if (!run) throw new NotFoundError(`garbage collection run ${id.slice(0, 40)} not found`);
    return out(run, this.now());
  }

  /**
   * A worker starting: runs left `running` by a worker that was killed are marked failed now, if
   * no run is going on (else the next run does it). Returns their ids.
   */
  async recoverInterrupted(): Promise<string[]> {
    return (await this.runs.exclusively(() => this.runs.failRunning(INTERRUPTED), false)) ?? [];
  }

  /**
   * The worker's side: executes run `runId` (null: a new run for the schedule) under the lock.
   * A redelivered job whose run was interrupted finds it failed and does nothing.
   */
  async execute(runId: string | null, dryRun: boolean, collector: GarbageCollector): Promise<void> {
    await this.runs.exclusively(async () => {
      await this.runs.failRunning(INTERRUPTED);
      const id = runId ?? (await this.runs.create({ id: this.newId(), trigger: 'schedule', requestedBy: null, dryRun, keepUntagged: this.settings.keepUntagged })).id;
      const run = await this.runs.start(id);
      if (!run) {
        if (!(await this.runs.find(id))) throw new NotFoundError(`garbage collection run ${id.slice(0, 40)} does not exist`);
        return; // already run (a redelivery), or interrupted and now marked failed
      }
      const options: GcOptions = { graceSeconds: this.settings.graceSeconds, uploadTtlHours: this.settings.uploadTtlHours, keepUntagged: run.keepUntagged };
      let report: GcReport = { ...NOTHING, errors: [] };
      try {
        if (run.dryRun) {
          const p = await collector.preview(options);
          report = { blobsRemoved: p.blobs, bytesFreed: p.bytes, manifestsRemoved: p.manifests, uploadsRemoved: p.uploads, errors: [] };
        } else {
          report = await collector.collect(options, async (r) => {
            report = r; // a failure later still reports what was removed so far
            await this.runs.progress(id, counts(r));
          });
        }
        await this.runs.finish(id, 'succeeded', counts(report), report.errors);
        await this.record(run, 'success', report);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await this.runs.finish(id, 'failed', counts(report), [...report.errors, message]);
        await this.record(run, 'failure', report);
      }
    });
  }

  private async record(run: GcRun, result: 'success' | 'failure', report: GcReport): Promise<void> {
    await this.audit.record({
      actor: run.requestedBy,
      accountId: null,
      action: run.dryRun ? 'gc.run.dry' : 'gc.run',
      resource: run.id,
      result,
      clientAddress: null,
      detail: { ...counts(report), errors: report.errors.length },
    });
  }

  private requireAdmin(caller: UserRecord): void {
    if (!caller.isAdmin) throw new ForbiddenError('only a system administrator runs garbage collection');
  }
}
