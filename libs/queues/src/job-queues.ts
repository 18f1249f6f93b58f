import { Queue } from 'bullmq';
import type { JobPayloads, QueueName } from './queue-names';

/** Retries and retention every job gets: 8 tries with exponential backoff from 1 s; finished jobs kept a day. */
const JOB_DEFAULTS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/**
 * The producer side of every queue (BullMQ on Redis). An add fails at once when Redis does not
 * answer (no offline queue): callers that must not lose the job keep it somewhere durable first
 * (the outbox). Jobs with the same id are added once.
 */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly redisUrl: string,
    private readonly timeoutMs: number,
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: { url: this.redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: this.timeoutMs },
        defaultJobOptions: JOB_DEFAULTS,
      });
      q.on('error', () => undefined); // a Redis that is down shows in /readyz and in the failed add
      this.queues.set(name, q);
    }
    return q;
  }

  async add<Q extends QueueName>(name: Q, jobId: string, payload: JobPayloads[Q]): Promise<void> {
    await this.queue(name).add(name, payload, { jobId });
  }

  async addBulk<Q extends QueueName>(name: Q, jobs: { jobId: string; payload: JobPayloads[Q] }[]): Promise<void> {
    await this.queue(name).addBulk(jobs.map((j) => ({ name, data: j.payload, opts: { ...JOB_DEFAULTS, jobId: j.jobId } })));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
  }
}
