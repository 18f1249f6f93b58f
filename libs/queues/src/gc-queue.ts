import type { GcQueue } from '@wharf/gc-core';
import type { JobQueues } from './job-queues';

/** GcQueue on the `gc` BullMQ queue: the job id is the run id, so a run is queued once. */
export class BullGcQueue implements GcQueue {
  constructor(private readonly queues: JobQueues) {}

  enqueue(runId: string, dryRun: boolean): Promise<void> {
    return this.queues.add('gc', `gc-${runId}`, { runId, dryRun });
  }
}
