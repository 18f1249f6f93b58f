import type { Logger } from '@wharf/observability';
import type { JobProcessor, WorkerServiceSpec } from '@wharf/queues';

/**
 * Consumes `registry-events` (pushes and deletes, relayed from the outbox). Triggers, webhooks
 * and sync hang off this processor as they land; today it records each event in the log, with
 * its job id, so a redelivery (same id) can be told from a new event.
 */
export function registryEventsProcessor(logger: Logger): JobProcessor<'registry-events'> {
  return async (event, job) => {
    logger.info(
      { jobId: job.id, kind: event.kind, repository: event.repository, digest: event.digest, tag: event.tag, actor: event.actor, at: event.at },
      'registry event',
    );
  };
}

/** The `events` worker service: what it consumes (the app, and single-machine mode, run it). */
export const eventsWorker: WorkerServiceSpec = {
  name: 'events',
  consume: (workers, logger) => workers.start('registry-events', registryEventsProcessor(logger), 4),
};
