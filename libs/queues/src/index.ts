export * from './queue-names';
export * from './job-queues';
export * from './outbox-relay';
export * from './queue-workers';
export * from './queues.module';
export * from './worker-service';
export * from './pending-workers';
export * from './broadcasts';
