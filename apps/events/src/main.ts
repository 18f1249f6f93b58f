import 'reflect-metadata';
import { eventsWorker } from '@wharf/events-worker';
import { runWorkerService } from '@wharf/queues';
import { guardProcess } from '@wharf/util';

/** The `events` worker: consumes `registry-events` (triggers, webhooks and sync build on it). */
guardProcess('events');
void runWorkerService(eventsWorker);
