import 'reflect-metadata';
import { gcWorker, runWorkerService } from '@wharf/queues';
import { guardProcess } from '@wharf/util';

/** The `gc` worker: consumes the `gc` queue. */
guardProcess('gc');
void runWorkerService(gcWorker);
