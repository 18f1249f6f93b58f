import type { Logger } from '@wharf/observability';
import type { JobProcessor, WorkerServiceSpec } from '@wharf/queues';

/**
 * Consumes `registry-events` (pushes and deletes, relayed from the outbox in batches). Triggers,
 * webhooks and sync hang off this processor as they land; today it records each event in the log
 * with its event id and its batch's job id, so a redelivery can be told from a new event.
 */
export function registryEventsProcessor(logger: Logger): JobProcessor<'registry-events'> {
  return async (batch, job) => {
    for (const event of batch.events) {
      logger.info(
        { jobId: job.id, eventId: event.id, kind: event.kind, repository: event.repository, digest: event.digest, tag: event.tag, actor: event.actor, at: event.at },
        'registry event',
      );
    }
  };
}

/** The `events` worker service: what it consumes (the app, and single-machine mode, run it). */
export const eventsWorker: WorkerServiceSpec = {
  name: 'events',
  consume: (workers, logger) => workers.start('registry-events', registryEventsProcessor(logger), 4),
};
