import type { ImportQueue } from '@wharf/import-core';
import type { JobQueues } from './job-queues';

/** ImportQueue on the `imports` BullMQ queue: one job per upload request, its id the batch id. */
export class BullImportQueue implements ImportQueue {
  constructor(private readonly queues: JobQueues) {}

  enqueue(batchId: string): Promise<void> {
    return this.queues.add('imports', `import-${batchId}`, { batchId });
  }
}
