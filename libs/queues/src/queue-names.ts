/**
 * Every queue Wharf uses and what its jobs carry. A job's id is derived from what it is about
 * (an outbox row, a GC run, a build), so adding the same job twice is a no-op while the first is
 * kept (`JobQueues` keeps finished jobs a day), and a consumer can tell a redelivery by its id.
 */
export const QUEUE_NAMES = ['registry-events', 'gc', 'builds', 'imports', 'sync', 'webhooks'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export type RegistryEventKind = 'manifest.pushed' | 'tag.pushed' | 'tag.deleted' | 'manifest.deleted' | 'repository.deleted';

/** A registry change, as written to the outbox in the change's own statement. */
export interface RegistryEvent {
  /** The outbox row's id: unique per change. */
  id: string;
  kind: RegistryEventKind;
  repository: string;
  digest: string | null;
  tag: string | null;
  /** Who pushed (user id), when known. */
  actor: string | null;
  /** ISO time of the change. */
  at: string;
}

/**
 * A `registry-events` job: the outbox rows one relay round moved, in order. Its job id names the
 * first and last row, so the same batch relayed twice is one job. A relay that failed after the
 * add and before its commit relays those rows again, possibly with later ones, as a batch of
 * another id: a consumer for which a repeat matters checks each event's `id`.
 */
export interface RegistryEventBatch {
  events: RegistryEvent[];
}

/**
 * A garbage-collection run: one requested through the API (its `gc_runs` id), or (null) one the
 * schedule starts; or (`retention`) the daily run of the retention policies marked daily.
 */
export interface GcJob {
  runId: string | null;
  dryRun: boolean;
  retention?: boolean;
}

export interface BuildJob {
  buildId: string;
}

/** A page-upload request: its files (the `imports` rows of this batch) are imported in order. */
export interface ImportJob {
  batchId: string;
}

export interface SyncJob {
  ruleId: string;
  repository: string;
  reference: string;
}

export interface WebhookJob {
  deliveryId: string;
}

export interface JobPayloads {
  'registry-events': RegistryEventBatch;
  gc: GcJob;
  builds: BuildJob;
  imports: ImportJob;
  sync: SyncJob;
  webhooks: WebhookJob;
}
