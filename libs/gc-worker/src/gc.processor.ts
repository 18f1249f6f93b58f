import { randomUUID } from 'node:crypto';
import type { WharfConfig } from '@wharf/config';
import type { Pool } from 'pg';
import { PgAuditLog, PgGcRunStore, PgGcStore, PgRegistryStore, PgRetentionStore } from '@wharf/database';
import { GcRunService, RetentionService } from '@wharf/gc-core';
import type { RegistryWriter } from '@wharf/org-core';
import type { Logger } from '@wharf/observability';
import { BroadcastClient, BullGcQueue, JobProcessor, JobQueues, UnrecoverableError, WorkerContext, WorkerServiceSpec } from '@wharf/queues';
import { GarbageCollector, ManifestService } from '@wharf/registry-core';
import { BroadcastingRegistryWriter } from '@wharf/registry-http';
import { createStorageDriver } from '@wharf/storage';
import { NotFoundError } from '@wharf/util';

const SCHEDULER_ID = 'gc-schedule';
const RETENTION_SCHEDULER_ID = 'retention-daily';

/** Executes the `gc` queue's jobs: each is one run (requested, or started by the schedule), or the daily retention run. */
export function gcProcessor(runs: GcRunService, collector: GarbageCollector, retention: RetentionService, logger: Logger): JobProcessor<'gc'> {
  return async (job) => {
    try {
      if (job.retention) {
        const done = await retention.runDaily();
        logger.info(done, 'daily retention run');
        return;
      }
      await runs.execute(job.runId, job.dryRun, collector);
    } catch (err) {
      if (err instanceof NotFoundError) throw new UnrecoverableError(err.message); // retrying cannot help
      throw err;
    }
  };
}

/** The run settings from the environment (WHARF_GC_GRACE_SECONDS, WHARF_UPLOAD_TTL_HOURS, WHARF_GC_KEEP_UNTAGGED). */
export function gcSettings(config: Pick<WharfConfig, 'gcGraceSeconds' | 'uploadTtlHours' | 'gcKeepUntagged'>): { graceSeconds: number; uploadTtlHours: number; keepUntagged: boolean } {
  return { graceSeconds: config.gcGraceSeconds, uploadTtlHours: config.uploadTtlHours, keepUntagged: config.gcKeepUntagged };
}

/**
 * WHARF_GC_SCHEDULE and WHARF_RETENTION_SCHEDULE: BullMQ job schedulers on the `gc` queue (one
 * each per installation, whichever worker set it last); an unset GC schedule removes its scheduler.
 */
async function applySchedules(queues: JobQueues, config: WharfConfig, logger: Logger): Promise<void> {
  const queue = queues.queue('gc');
  try {
    if (config.gcSchedule) {
      await queue.upsertJobScheduler(SCHEDULER_ID, { pattern: config.gcSchedule }, { name: 'gc', data: { runId: null, dryRun: false } });
      logger.info({ schedule: config.gcSchedule }, 'garbage collection scheduled');
    } else {
      await queue.removeJobScheduler(SCHEDULER_ID);
    }
    await queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, { pattern: config.retentionSchedule }, { name: 'gc', data: { runId: null, dryRun: false, retention: true } });
  } catch (err) {
    logger.error({ error: String(err) }, 'could not set the garbage collection or retention schedule (WHARF_GC_SCHEDULE, WHARF_RETENTION_SCHEDULE)');
  }
}

/**
 * The registry's writer for retention's tag deletes and the collector's cache invalidation: this
 * process's, or registry-core over Postgres telling the replicas (a missed broadcast ages out in 10 s).
 */
function registryWriter(context: WorkerContext, config: WharfConfig, pool: Pool): RegistryWriter {
  if (context.registryWriter) return context.registryWriter;
  const limits = { maxLayerBytes: config.maxLayerBytes, maxManifestBytes: config.maxManifestBytes, redirectBlobs: false };
  const client = config.redisUrl ? new BroadcastClient(config.redisUrl, config.redisTimeoutMs) : null;
  return new BroadcastingRegistryWriter(new ManifestService(new PgRegistryStore(pool), limits), client, null);
}

/** Scheduled retention has no caller to check: the gate refuses, and only `runDaily` is used here. */
const NO_CALLERS = { requireManage: async () => Promise.reject(new Error('retention runs by hand go through the API')) };

/** The `gc` worker service: the `gc` queue, one run at a time (across replicas too: the run store's lock). */
export const gcWorker: WorkerServiceSpec = {
  name: 'gc',
  consume: (workers, logger, config, context) => {
    const queues = new JobQueues(config.redisUrl as string, config.redisTimeoutMs);
    const writer = registryWriter(context, config, context.pool);
    const audit = new PgAuditLog(context.pool);
    const collector = new GarbageCollector(new PgGcStore(context.pool), createStorageDriver(config), (names) => writer.forgetRepositories(names));
    const runs = new GcRunService(new PgGcRunStore(context.pool), new BullGcQueue(queues), audit, gcSettings(config), randomUUID);
    const retention = new RetentionService(new PgRetentionStore(context.pool), NO_CALLERS, writer, audit, randomUUID);
    workers.start('gc', gcProcessor(runs, collector, retention, logger), 1);
    void applySchedules(queues, config, logger);
    void runs.recoverInterrupted().then(
      (ids) => ids.length > 0 && logger.warn({ runs: ids }, 'garbage collection runs interrupted by a stopped worker marked failed'),
      (err) => logger.warn({ error: String(err) }, 'could not check for interrupted garbage collection runs'),
    );
  },
};
