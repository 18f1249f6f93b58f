import 'reflect-metadata';
import { builderWorker } from '@wharf/import-worker';
import { runWorkerService } from '@wharf/queues';
import { guardProcess } from '@wharf/util';

/** The `builder` worker: consumes `builds` (build from Git) and `imports` (page upload). */
guardProcess('builder');
void runWorkerService(builderWorker);
