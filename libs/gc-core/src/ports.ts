/** Ports of the garbage-collection runs (history, the one-at-a-time lock, the queue). */
export const GC_RUN_STORE = Symbol('GC_RUN_STORE');
export const GC_QUEUE = Symbol('GC_QUEUE');

export type GcRunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type GcTrigger = 'api' | 'schedule';

export interface GcCounts {
  blobsRemoved: number;
  bytesFreed: number;
  manifestsRemoved: number;
  uploadsRemoved: number;
}

export interface GcRun extends GcCounts {
  id: string;
  trigger: GcTrigger;
  /** Username of whoever asked for it (null: the schedule). */
  requestedBy: string | null;
  /** A dry run removes nothing; its counts are what a run would remove. */
  dryRun: boolean;
  keepUntagged: boolean;
  status: GcRunStatus;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  errors: string[];
}

export interface NewGcRun {
  id: string;
  trigger: GcTrigger;
  requestedBy: string | null;
  dryRun: boolean;
  keepUntagged: boolean;
}

export interface GcRunStore {
  create(run: NewGcRun): Promise<GcRun>;
  find(id: string): Promise<GcRun | null>;
  /** Newest first. */
  list(offset: number, limit: number): Promise<{ items: GcRun[]; total: number }>;
  /**
   * Runs `fn` holding the one garbage-collection lock of the whole installation (every gc worker
   * and replica); waits for it, unless `wait` is false: then null at once when it is taken. The
   * lock goes with the holder's database session, so a holder killed mid-run releases it.
   */
  exclusively<T>(fn: () => Promise<T>, wait?: boolean): Promise<T | null>;
  /** queued → running, now; null when the run is not queued (started before, or finished). */
  start(id: string): Promise<GcRun | null>;
  /** Every `running` run → failed with `reason`; their ids. Only under the lock, when none can really be running. */
  failRunning(reason: string): Promise<string[]>;
  /** The counts so far of a running run (its history shows progress). */
  progress(id: string, counts: GcCounts): Promise<void>;
  finish(id: string, status: 'succeeded' | 'failed', counts: GcCounts, errors: string[]): Promise<void>;
}

export interface GcQueue {
  /** Adds the run's job (its id is the run's id: adding it twice is one job). */
  enqueue(runId: string, dryRun: boolean): Promise<void>;
}
