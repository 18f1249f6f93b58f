import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Logger, Metrics } from '@wharf/observability';
import type { JobPayloads, QueueName } from './queue-names';

/** What a worker does with one job; a throw is retried with backoff, an UnrecoverableError is not. */
export type JobProcessor<Q extends QueueName> = (payload: JobPayloads[Q], job: { id: string; attempt: number }) => Promise<void>;

export { UnrecoverableError };

/**
 * The consumer side: one BullMQ worker per queue a process serves, with the job metrics on the
 * process's `/metrics` (jobs by queue and outcome, job durations, queue depth by state, read from
 * Redis at scrape time) and a log line per failed attempt. `close` stops taking jobs and waits for
 * the running ones up to a deadline (graceful shutdown).
 */
export class QueueWorkers {
  private readonly workers: Worker[] = [];
  private readonly probes: Queue[] = [];
  private readonly jobs: Counter<'queue' | 'outcome'>;
  private readonly durations: Histogram<'queue'>;

  constructor(
    private readonly redisUrl: string,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    const registry = metrics.registry;
    this.jobs = new Counter({ name: 'wharf_jobs_total', help: 'Job attempts finished, by queue and outcome', labelNames: ['queue', 'outcome'], registers: [registry] });
    this.durations = new Histogram({
      name: 'wharf_job_duration_seconds',
      help: 'Time a job attempt ran, by queue',
      labelNames: ['queue'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    });
    const probes = this.probes;
    new Gauge({
      name: 'wharf_queue_jobs',
      help: 'Jobs in each queue this process serves, by state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        await Promise.all(
          probes.map(async (q) => {
            const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed').catch(() => null);
            for (const [state, n] of Object.entries(counts ?? {})) this.set({ queue: q.name, state }, n);
          }),
        );
      },
    });
  }

  /** Starts consuming `queue` with `concurrency` jobs at a time. */
  start<Q extends QueueName>(queue: Q, processor: JobProcessor<Q>, concurrency = 1): void {
    const worker = new Worker(
      queue,
      async (job: Job) => {
        const stop = this.durations.startTimer({ queue });
        try {
          await processor(job.data as JobPayloads[Q], { id: job.id ?? '', attempt: job.attemptsMade + 1 });
          this.jobs.inc({ queue, outcome: 'completed' });
        } catch (err) {
          this.jobs.inc({ queue, outcome: 'failed' });
          this.logger.warn({ queue, jobId: job.id, attempt: job.attemptsMade + 1, error: String(err) }, 'job failed');
          throw err;
        } finally {
          stop();
        }
      },
      { connection: { url: this.redisUrl, maxRetriesPerRequest: null }, concurrency, autorun: true },
    );
    worker.on('error', () => undefined); // Redis down: /readyz says so; BullMQ reconnects by itself
    this.workers.push(worker);
    const probe = new Queue(queue, { connection: { url: this.redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
    probe.on('error', () => undefined);
    this.probes.push(probe);
  }

  /** Stops taking jobs and waits for running ones; after `deadlineMs` they are abandoned (BullMQ hands them to another worker once their lock expires). */
  async close(deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), deadlineMs)));
    const drained = Promise.all(this.workers.map((w) => w.close())).then(() => 'drained' as const);
    const how = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (how === 'late') {
      this.logger.warn({ deadlineMs }, 'jobs still running at the shutdown deadline; they will be retried');
      await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
    }
    await Promise.all(this.probes.map((q) => q.close().catch(() => undefined)));
  }
}

/**
 * The consumer of a queue whose feature has not landed yet (GC, builds, page upload): the job is
 * failed at once, without retries, with a message saying so (visible in the queue's failed jobs).
 */
export function notBuiltYet<Q extends QueueName>(feature: string): JobProcessor<Q> {
  return async () => {
    throw new UnrecoverableError(`${feature} is not built into this version of Wharf yet`);
  };
}
