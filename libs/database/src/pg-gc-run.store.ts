import type { Pool } from 'pg';
import type { GcCounts, GcRun, GcRunStore, NewGcRun } from '@wharf/gc-core';

/** The advisory lock every gc worker takes for a run (a constant of this schema: "wharf gc"). */
const GC_LOCK_KEY = 0x77686763;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const COLUMNS = `id::text, trigger, requested_by, dry_run, keep_untagged, status, created_at, started_at, finished_at,
  blobs_removed, bytes_freed, manifests_removed, uploads_removed, errors`;

function runOf(r: Record<string, unknown>): GcRun {
  return {
    id: r['id'] as string,
    trigger: r['trigger'] as GcRun['trigger'],
    requestedBy: (r['requested_by'] as string | null) ?? null,
    dryRun: r['dry_run'] as boolean,
    keepUntagged: r['keep_untagged'] as boolean,
    status: r['status'] as GcRun['status'],
    createdAt: r['created_at'] as Date,
    startedAt: (r['started_at'] as Date | null) ?? null,
    finishedAt: (r['finished_at'] as Date | null) ?? null,
    blobsRemoved: Number(r['blobs_removed']),
    bytesFreed: Number(r['bytes_freed']),
    manifestsRemoved: Number(r['manifests_removed']),
    uploadsRemoved: Number(r['uploads_removed']),
    errors: (r['errors'] as string[] | null) ?? [],
  };
}

/** GcRunStore on Postgres: the `gc_runs` history and a session-level advisory lock. */
export class PgGcRunStore implements GcRunStore {
  constructor(private readonly pool: Pool) {}

  async create(run: NewGcRun): Promise<GcRun> {
    const res = await this.pool.query(
      `INSERT INTO gc_runs (id, trigger, requested_by, dry_run, keep_untagged) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [run.id, run.trigger, run.requestedBy, run.dryRun, run.keepUntagged],
    );
    return runOf(res.rows[0]);
  }

  async find(id: string): Promise<GcRun | null> {
    if (!UUID_RE.test(id)) return null;
    const res = await this.pool.query(`SELECT ${COLUMNS} FROM gc_runs WHERE id = $1`, [id]);
    return res.rows[0] ? runOf(res.rows[0]) : null;
  }

  async list(offset: number, limit: number): Promise<{ items: GcRun[]; total: number }> {
    const res = await this.pool.query(
      `SELECT ${COLUMNS}, count(*) OVER () AS total FROM gc_runs ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT $2`,
      [offset, limit],
    );
    const total = res.rows[0] ? Number(res.rows[0].total) : Number((await this.pool.query('SELECT count(*) FROM gc_runs')).rows[0].count);
    return { items: res.rows.map(runOf), total };
  }

  async exclusively<T>(fn: () => Promise<T>, wait = true): Promise<T | null> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // Waiting for another run to end may take longer than any statement limit.
      await client.query('SET statement_timeout = 0');
      if (wait) await client.query('SELECT pg_advisory_lock($1)', [GC_LOCK_KEY]);
      else if (!(await client.query('SELECT pg_try_advisory_lock($1) AS got', [GC_LOCK_KEY])).rows[0].got) {
        await client.query('RESET statement_timeout');
        return null;
      }
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [GC_LOCK_KEY]).catch(() => (broken = true));
        await client.query('RESET statement_timeout').catch(() => (broken = true));
      }
    } finally {
      client.release(broken); // a session that may still hold the lock is closed, which frees it
    }
  }

  async start(id: string): Promise<GcRun | null> {
    if (!UUID_RE.test(id)) return null;
    const res = await this.pool.query(
      `UPDATE gc_runs SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued' RETURNING ${COLUMNS}`,
      [id],
    );
    return res.rows[0] ? runOf(res.rows[0]) : null;
  }

  async failRunning(reason: string): Promise<string[]> {
    const res = await this.pool.query(
      `UPDATE gc_runs SET status = 'failed', finished_at = now(), errors = errors || to_jsonb($1::text) WHERE status = 'running' RETURNING id::text`,
      [reason],
    );
    return res.rows.map((r) => r.id as string);
  }

  async progress(id: string, c: GcCounts): Promise<void> {
    await this.pool.query(
      `UPDATE gc_runs SET blobs_removed = $2, bytes_freed = $3, manifests_removed = $4, uploads_removed = $5 WHERE id = $1`,
      [id, c.blobsRemoved, c.bytesFreed, c.manifestsRemoved, c.uploadsRemoved],
    );
  }

  async finish(id: string, status: 'succeeded' | 'failed', c: GcCounts, errors: string[]): Promise<void> {
    await this.pool.query(
      `UPDATE gc_runs SET status = $2, finished_at = now(), blobs_removed = $3, bytes_freed = $4, manifests_removed = $5,
              uploads_removed = $6, errors = $7::jsonb WHERE id = $1`,
      [id, status, c.blobsRemoved, c.bytesFreed, c.manifestsRemoved, c.uploadsRemoved, JSON.stringify(errors.slice(0, 100))],
    );
  }
}
