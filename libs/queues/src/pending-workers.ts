import { notBuiltYet } from './queue-workers';
import type { WorkerServiceSpec } from './worker-service';

/*
 * The worker services whose features have not landed: they start, report ready, drain on
 * shutdown, and fail each job at once saying the feature is missing. Each moves to its own
 * `-worker` lib (as gc did to gc-worker) when its feature lands.
 */

/** The `builder` worker service: `builds` (build from Git) and `imports` (page upload). */
export const builderWorker: WorkerServiceSpec = {
  name: 'builder',
  consume: (workers) => {
    workers.start('builds', notBuiltYet('build from Git'));
    workers.start('imports', notBuiltYet('page upload'));
  },
};
