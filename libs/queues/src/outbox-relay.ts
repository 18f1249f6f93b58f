import type { Pool } from 'pg';
import type { Logger } from '@wharf/observability';
import { withTransaction } from '@wharf/database';
import type { JobQueues } from './job-queues';
import type { RegistryEvent, RegistryEventKind } from './queue-names';

interface OutboxRow {
  id: string;
  kind: RegistryEventKind;
  repository: string;
  digest: string | null;
  tag: string | null;
  actor: string | null;
  created_at: Date;
}

/**
 * Moves registry events from the Postgres outbox to the `registry-events` queue. Every replica
 * runs one: a batch is taken with `FOR UPDATE SKIP LOCKED` (one relay wins each row), added to the
 * queue as one job whose id is made from its rows, and deleted in the same transaction. Redis
 * down: the add fails, the transaction rolls back and the rows wait for the next round. The commit
 * failing after the add: the rows are relayed again (the same batch is the same job; a longer one
 * repeats events, which consumers tell by the event id).
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly pool: Pool,
    private readonly queues: JobQueues,
    private readonly logger: Logger,
    /** Pause between rounds when the outbox is empty or Redis is down (a full batch goes again at once). */
    private readonly pollMs = 200,
    private readonly batch = 500,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round: the number of events relayed. */
  async relayOnce(): Promise<number> {
    return withTransaction(this.pool, async (tx) => {
      const res = await tx.query<OutboxRow>(
        'SELECT id, kind, repository, digest, tag, actor, created_at FROM registry_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [this.batch],
      );
      if (res.rows.length === 0) return 0;
      // One job per round, not per row: BullMQ's per-job work (add, move to active, move to
      // finished) cost a quarter of the tag PUT rate as one job per event (docs/performance.md).
      const first = res.rows[0] as OutboxRow;
      const last = res.rows[res.rows.length - 1] as OutboxRow;
      await this.queues.addBulk('registry-events', [{ jobId: `events-${first.id}-${last.id}-${first.created_at.getTime()}`, payload: { events: res.rows.map(toEvent) } }]);
      await tx.query('DELETE FROM registry_outbox WHERE id = ANY($1::bigint[])', [res.rows.map((r) => r.id)]);
      return res.rows.length;
    });
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => (this.running = null));
    }, delay);
  }

  private async round(): Promise<void> {
    let next = this.pollMs;
    try {
      const moved = await this.relayOnce();
      if (this.failing) this.logger.info({ queue: 'registry-events' }, 'outbox relay works again');
      this.failing = false;
      if (moved === this.batch) next = 0;
    } catch (err) {
      // Said once per outage, not every round: the events wait in Postgres meanwhile.
      if (!this.failing) this.logger.warn({ queue: 'registry-events', error: String(err) }, 'outbox relay failed; events wait in the outbox');
      this.failing = true;
    }
    this.schedule(next);
  }
}

function toEvent(r: OutboxRow): RegistryEvent {
  return { id: String(r.id), kind: r.kind, repository: r.repository, digest: r.digest, tag: r.tag, actor: r.actor, at: r.created_at.toISOString() };
}
