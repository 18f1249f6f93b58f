import 'reflect-metadata';
import { gcWorker } from '@wharf/gc-worker';
import { runWorkerService } from '@wharf/queues';
import { guardProcess } from '@wharf/util';

/** The `gc` worker: consumes the `gc` queue (garbage-collection runs, one at a time) and keeps WHARF_GC_SCHEDULE. */
guardProcess('gc');
void runWorkerService(gcWorker);
