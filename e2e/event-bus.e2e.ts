import { ChildProcess, spawn } from 'node:child_process';
import { Client } from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BroadcastClient, BROADCASTS, JobQueues } from '@wharf/queues';
import { requireService, sha256 } from '@wharf/testing';
import { freePort, waitForPort } from '../apps/server/src/local-process';
import { createOwnDatabase, OwnDatabase } from './support/own-database';
import { startRegistryProcess, TestRegistry } from './support/test-registry';

/**
 * The event bus as a cluster runs it: a `registry` process writes push and delete events to the
 * Postgres outbox in the change's own statement and relays them to the `registry-events` queue;
 * the `events` worker consumes them; `gc` and `builder` start, report ready and drain. A Redis of
 * this test's own (it is stopped on purpose) and a database of its own (no other registry in the
 * suite relays these rows).
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisAvailable = requireService('WHARF_TEST_REDIS_URL', 'Redis');

function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  return waitForPort(port, 10_000).then(() => child);
}

const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL'); // as a crash: nothing is saved
  });

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

(suiteDatabase && redisAvailable ? describe : describe.skip)('event bus: outbox, queues and worker services', () => {
  let own: OwnDatabase;
  let databaseUrl: string;
  let redisPort: number;
  let redis: ChildProcess;
  let redisUrl: string;
  let registry: TestRegistry;
  let events: TestRegistry;
  let queue: Queue;

  beforeAll(async () => {
    own = await createOwnDatabase(suiteDatabase as string, 'events');
    databaseUrl = own.url;
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    redisUrl = `redis://127.0.0.1:${redisPort}`;
    [registry, events] = await Promise.all([
      startRegistryProcess(databaseUrl, { env: { REDIS_URL: redisUrl } }),
      startRegistryProcess(databaseUrl, { app: 'events', env: { REDIS_URL: redisUrl } }),
    ]);
    queue = new Queue('registry-events', { connection: { url: redisUrl, maxRetriesPerRequest: null } });
    queue.on('error', () => undefined);
  }, 120_000);

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    await Promise.all([registry?.close(), events?.close()]);
    if (redis) await stopRedis(redis);
    await own?.drop();
  });

  const push = async (repo: string, tag: string): Promise<string> => {
    const config = Buffer.from(`{"tag":"${tag}"}`);
    const up = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config });
    expect(up.status).toBe(201);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    });
    const put = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(put.status).toBe(201);
    return sha256(manifest);
  };

  /** The event about `kind` of `repository:tag` in a completed `registry-events` job, with that job's id. */
  const delivered = (kind: string, repository: string, tag: string) =>
    until(`${kind} ${repository}:${tag} to be consumed`, async () => {
      for (const job of await queue.getJobs(['completed'])) {
        const event = (job.data.events as { kind: string; repository: string; tag: string; digest: string }[]).find(
          (e) => e.kind === kind && e.repository === repository && e.tag === tag,
        );
        if (event) return { ...event, jobId: job.id };
      }
      return undefined;
    });

  it('a push and a tag delete reach the events worker as jobs named after their outbox rows', async () => {
    const digest = await push('events/app', 'v1');
    const event = await delivered('tag.pushed', 'events/app', 'v1');
    expect(event.digest).toBe(digest);
    expect(event.jobId).toMatch(/^events-\d+-\d+-\d+$/);
    expect(events.output?.()).toContain('"msg":"registry event"');
    expect((await fetch(`${registry.url}/v2/events/app/manifests/v1`, { method: 'DELETE' })).status).toBe(202);
    expect((await delivered('tag.deleted', 'events/app', 'v1')).digest).toBe(digest);
  });

  it('an event pushed while Redis is down waits in the outbox and arrives once Redis is back', async () => {
    await stopRedis(redis);
    const digest = await push('events/app', 'offline'); // the push itself does not need Redis
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const waiting = await db.query(`SELECT kind, digest FROM registry_outbox WHERE tag = 'offline'`);
      expect(waiting.rows).toEqual([{ kind: 'tag.pushed', digest }]);
      redis = await startRedis(redisPort); // empty: what was queued before is gone, the outbox is not
      expect((await delivered('tag.pushed', 'events/app', 'offline')).digest).toBe(digest);
      expect((await db.query(`SELECT 1 FROM registry_outbox WHERE tag = 'offline'`)).rowCount).toBe(0);
    } finally {
      await db.end();
    }
  }, 60_000);

  it('a registry replica started while Redis is down hears cache invalidations once Redis is back', async () => {
    await stopRedis(redis);
    const replica = await startRegistryProcess(databaseUrl, { env: { REDIS_URL: redisUrl } }).finally(async () => {
      redis = await startRedis(redisPort); // the replica started without Redis (or failed to): Redis back for the rest
    });
    const client = new BroadcastClient(redisUrl, 2_000);
    const probe = new Redis(redisUrl, { lazyConnect: true });
    try {
      await until('both registries to subscribe', async () => {
        const [, count] = (await probe.pubsub('NUMSUB', BROADCASTS.registryRemoved)) as [string, number];
        return count >= 2; // the suite's registry and this replica
      });
      const digest = await push('events/cached', 'v1');
      const manifest = `${replica.url}/v2/events/cached/manifests/${digest}`;
      expect((await fetch(manifest)).status).toBe(200); // now in the replica's cache (10 s)
      expect((await fetch(`${registry.url}/v2/events/cached/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202);
      expect((await fetch(manifest)).status).toBe(200); // another replica's delete: still cached here
      await client.broadcast(BROADCASTS.registryRemoved, { name: 'events/cached' });
      await new Promise((r) => setTimeout(r, 100));
      expect((await fetch(manifest)).status).toBe(404);
    } finally {
      probe.disconnect();
      await client.close();
      await replica.close();
    }
  }, 60_000);

  it('the same batch relayed twice is one job (a relay whose commit failed after the add)', async () => {
    const queues = new JobQueues(redisUrl, 2_000);
    try {
      const payload = { events: [{ id: '1', kind: 'tag.pushed' as const, repository: 'events/twice', digest: null, tag: 't', actor: null, at: new Date().toISOString() }] };
      await queues.addBulk('registry-events', [{ jobId: 'events-twice-1', payload }]);
      await queues.addBulk('registry-events', [{ jobId: 'events-twice-1', payload }]);
      await delivered('tag.pushed', 'events/twice', 't');
      const all = await queue.getJobs(['completed', 'active', 'waiting']);
      expect(all.filter((j) => j.data.events?.some((e: { repository: string }) => e.repository === 'events/twice'))).toHaveLength(1);
    } finally {
      await queues.close();
    }
  });

  it('a burst of pushes travels in a few jobs, every event once and in order', async () => {
    const digests = await Promise.all(Array.from({ length: 40 }, (_, i) => push('events/burst', `b${i}`)));
    const seen = await until('all 40 events', async () => {
      const jobs = (await queue.getJobs(['completed'])).filter((j) => j.data.events.some((e: { repository: string }) => e.repository === 'events/burst'));
      const events = jobs
        .flatMap((j) => j.data.events as { id: string; kind: string; repository: string; digest: string }[])
        .filter((e) => e.repository === 'events/burst' && e.kind === 'tag.pushed');
      return events.length >= 40 ? { jobs, events } : undefined;
    });
    expect(seen.events).toHaveLength(40);
    expect(new Set(seen.events.map((e) => e.id)).size).toBe(40);
    expect(new Set(seen.events.map((e) => e.digest))).toEqual(new Set(digests));
    expect(seen.jobs.length).toBeLessThan(40);
    for (const job of seen.jobs) {
      const ids = (job.data.events as { id: string }[]).map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
  });

  it('the gc and builder workers start, report ready with queue metrics, refuse jobs they cannot do, and stop on SIGTERM', async () => {
    const [gc, builder] = await Promise.all([
      startRegistryProcess(databaseUrl, { app: 'gc', env: { REDIS_URL: redisUrl, WHARF_GC_SCHEDULE: '* * * * * *' } }),
      startRegistryProcess(databaseUrl, { app: 'builder', env: { REDIS_URL: redisUrl } }),
    ]);
    const connection = { url: redisUrl, maxRetriesPerRequest: null };
    const gcQueue = new Queue('gc', { connection });
    const importsQueue = new Queue('imports', { connection });
    const buildsQueue = new Queue('builds', { connection });
    const failedJob = (queue: Queue, id: string) =>
      until(`job ${id} to fail`, async () => {
        // The state first, then the job: a job read before it failed has no failedReason yet.
        return (await queue.getJobState(id)) === 'failed' ? queue.getJob(id) : undefined;
      });
    try {
      for (const w of [gc, builder, events]) expect(await (await fetch(`${w.url}/readyz`)).json()).toEqual({ status: 'ready' });
      // A run nobody requested (no gc_runs row): failed at once, not retried.
      await gcQueue.add('gc', { runId: '00000000-0000-4000-8000-000000000001', dryRun: true }, { jobId: 'gc-r1' });
      const unknown = await failedJob(gcQueue, 'gc-r1');
      expect(unknown.failedReason).toBe('garbage collection run 00000000-0000-4000-8000-000000000001 does not exist');
      expect(unknown.attemptsMade).toBe(1);
      await importsQueue.add('imports', { batchId: '00000000-0000-4000-8000-000000000002' }, { jobId: 'imports-u1' });
      const noFiles = await failedJob(importsQueue, 'imports-u1');
      expect(noFiles.failedReason).toBe('upload 00000000-0000-4000-8000-000000000002 has no files');
      expect(noFiles.attemptsMade).toBe(1); // not retried
      await buildsQueue.add('builds', { buildId: 'b1' }, { jobId: 'builds-b1' });
      const notBuilt = await failedJob(buildsQueue, 'builds-b1');
      expect(notBuilt.failedReason).toBe('build from Git is not built into this version of Wharf yet');
      expect(notBuilt.attemptsMade).toBe(1);
      const metrics = await (await fetch(`${gc.url}/metrics`)).text();
      expect(metrics).toMatch(/wharf_jobs_total\{queue="gc",outcome="failed"\} 1/);
      expect(metrics).toMatch(/wharf_queue_jobs\{queue="gc",state="failed"\} 1/);
      expect(await (await fetch(`${builder.url}/metrics`)).text()).toMatch(/wharf_queue_jobs\{queue="imports",state="failed"\} 1/);
      // WHARF_GC_SCHEDULE (every second here): runs of the schedule's own appear in the history.
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const scheduled = await until('a scheduled garbage collection run', async () => {
          const res = await db.query(`SELECT status, requested_by FROM gc_runs WHERE trigger = 'schedule' AND status = 'succeeded' LIMIT 1`);
          return res.rows[0];
        });
        expect(scheduled).toEqual({ status: 'succeeded', requested_by: null });
      } finally {
        await db.end();
      }
    } finally {
      await Promise.all([gcQueue.close(), importsQueue.close(), buildsQueue.close()]);
      await Promise.all([gc.close(), builder.close()]);
    }
    expect(gc.output?.()).toContain('"msg":"gc worker stopped"');
  });

  it('a worker without its settings names what is missing and exits', async () => {
    await expect(startRegistryProcess(databaseUrl, { app: 'events', env: { REDIS_URL: '' } })).rejects.toThrow(
      /exited \(1\).*REDIS_URL is required for the events service/s,
    );
  });
});
