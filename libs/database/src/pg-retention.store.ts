import type { Pool } from 'pg';
import type { RetentionPolicy, RetentionRules, RetentionRun, RetentionStore } from '@wharf/gc-core';

const POLICY = `r.name, p.keep_last, p.keep_days, p.exceptions, p.daily, p.updated_by, p.updated_at`;
const RUN = `x.id::text, r.name, x.trigger, x.requested_by, x.dry_run, x.removed, x.kept, x.created_at`;

function policyOf(row: Record<string, unknown>): RetentionPolicy {
  return {
    repository: row['name'] as string,
    keepLast: (row['keep_last'] as number | null) ?? null,
    keepDays: (row['keep_days'] as number | null) ?? null,
    exceptions: (row['exceptions'] as string[]) ?? [],
    daily: row['daily'] as boolean,
    updatedBy: (row['updated_by'] as string | null) ?? null,
    updatedAt: row['updated_at'] as Date,
  };
}

function runOf(row: Record<string, unknown>): RetentionRun {
  return {
    id: row['id'] as string,
    repository: row['name'] as string,
    trigger: row['trigger'] as RetentionRun['trigger'],
    requestedBy: (row['requested_by'] as string | null) ?? null,
    dryRun: row['dry_run'] as boolean,
    removed: (row['removed'] as string[]) ?? [],
    kept: Number(row['kept']),
    createdAt: row['created_at'] as Date,
  };
}

/** RetentionStore on Postgres: `retention_policies` and `retention_runs`; reads tags (never writes them). */
export class PgRetentionStore implements RetentionStore {
  constructor(private readonly pool: Pool) {}

  async findPolicy(repository: string): Promise<RetentionPolicy | null> {
    const res = await this.pool.query(
      `SELECT ${POLICY} FROM retention_policies p JOIN repositories r ON r.id = p.repository_id WHERE r.name = $1`,
      [repository],
    );
    return res.rows[0] ? policyOf(res.rows[0]) : null;
  }

  async savePolicy(repository: string, rules: RetentionRules, updatedBy: string): Promise<RetentionPolicy | null> {
    const res = await this.pool.query(
      `WITH r AS (SELECT id, name FROM repositories WHERE name = $1),
            p AS (
              INSERT INTO retention_policies (repository_id, keep_last, keep_days, exceptions, daily, updated_by)
              SELECT id, $2, $3, $4, $5, $6 FROM r
              ON CONFLICT (repository_id) DO UPDATE SET keep_last = EXCLUDED.keep_last, keep_days = EXCLUDED.keep_days,
                exceptions = EXCLUDED.exceptions, daily = EXCLUDED.daily, updated_by = EXCLUDED.updated_by, updated_at = now()
              RETURNING *)
       SELECT ${POLICY} FROM p JOIN r ON r.id = p.repository_id`,
      [repository, rules.keepLast, rules.keepDays, rules.exceptions, rules.daily, updatedBy],
    );
    return res.rows[0] ? policyOf(res.rows[0]) : null;
  }

  async dailyRepositories(): Promise<string[]> {
    const res = await this.pool.query(
      `SELECT r.name FROM retention_policies p JOIN repositories r ON r.id = p.repository_id WHERE p.daily ORDER BY r.name`,
    );
    return res.rows.map((row) => row.name as string);
  }

  async tags(repository: string): Promise<{ name: string; pushedAt: Date }[]> {
    const res = await this.pool.query(
      `SELECT t.name, t.updated_at FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = $1`,
      [repository],
    );
    return res.rows.map((row) => ({ name: row.name as string, pushedAt: row.updated_at as Date }));
  }

  async recordRun(run: Omit<RetentionRun, 'createdAt'>): Promise<RetentionRun> {
    const res = await this.pool.query(
      `WITH x AS (
         INSERT INTO retention_runs (id, repository_id, trigger, requested_by, dry_run, removed, kept)
         SELECT $1, id, $3, $4, $5, $6, $7 FROM repositories WHERE name = $2 RETURNING *)
       SELECT ${RUN} FROM x JOIN repositories r ON r.id = x.repository_id`,
      [run.id, run.repository, run.trigger, run.requestedBy, run.dryRun, run.removed, run.kept],
    );
    // The repository was deleted while the run ran: nothing to keep the history in.
    return res.rows[0] ? runOf(res.rows[0]) : { ...run, createdAt: new Date() };
  }

  async listRuns(repository: string, offset: number, limit: number): Promise<{ items: RetentionRun[]; total: number }> {
    const res = await this.pool.query(
      `SELECT ${RUN}, count(*) OVER () AS total FROM retention_runs x JOIN repositories r ON r.id = x.repository_id
        WHERE r.name = $1 ORDER BY x.created_at DESC, x.id DESC OFFSET $2 LIMIT $3`,
      [repository, offset, limit],
    );
    return { items: res.rows.map(runOf), total: res.rows[0] ? Number(res.rows[0].total) : 0 };
  }
}
