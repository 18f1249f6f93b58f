import type { Pool } from 'pg';
import type { ImportedImage, ImportRecord, ImportStore, NewImport } from '@wharf/import-core';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNFINISHED = `('receiving', 'queued', 'importing')`;
const COLUMNS = `id::text, batch_id::text, organization, file_name, user_id::text, username, status, phase, bytes_total,
  bytes_done, images, error, created_at, started_at, finished_at`;

function recordOf(r: Record<string, unknown>): ImportRecord {
  return {
    id: r['id'] as string,
    batchId: r['batch_id'] as string,
    organization: r['organization'] as string,
    fileName: r['file_name'] as string,
    userId: r['user_id'] as string,
    username: r['username'] as string,
    status: r['status'] as ImportRecord['status'],
    phase: (r['phase'] as ImportRecord['phase']) ?? null,
    bytesTotal: r['bytes_total'] === null ? null : Number(r['bytes_total']),
    bytesDone: Number(r['bytes_done']),
    images: (r['images'] as ImportedImage[] | null) ?? [],
    error: (r['error'] as string | null) ?? null,
    createdAt: r['created_at'] as Date,
    startedAt: (r['started_at'] as Date | null) ?? null,
    finishedAt: (r['finished_at'] as Date | null) ?? null,
  };
}

/** ImportStore on Postgres: the `imports` table. */
export class PgImportStore implements ImportStore {
  constructor(private readonly pool: Pool) {}

  async create(row: NewImport): Promise<void> {
    await this.pool.query(`INSERT INTO imports (id, batch_id, organization, file_name, user_id, username) VALUES ($1, $2, $3, $4, $5, $6)`, [
      row.id,
      row.batchId,
      row.organization,
      row.fileName,
      row.userId,
      row.username,
    ]);
  }

  async received(id: string, size: number): Promise<void> {
    await this.pool.query(`UPDATE imports SET status = 'queued', bytes_total = $2, updated_at = clock_timestamp() WHERE id = $1 AND status = 'receiving'`, [id, size]);
  }

  async find(id: string): Promise<ImportRecord | null> {
    if (!UUID_RE.test(id)) return null;
    const res = await this.pool.query(`SELECT ${COLUMNS} FROM imports WHERE id = $1`, [id]);
    return res.rows[0] ? recordOf(res.rows[0]) : null;
  }

  async batch(batchId: string): Promise<ImportRecord[]> {
    if (!UUID_RE.test(batchId)) return [];
    const res = await this.pool.query(`SELECT ${COLUMNS} FROM imports WHERE batch_id = $1 ORDER BY created_at, id`, [batchId]);
    return res.rows.map(recordOf);
  }

  async unfinished(userId: string, receivingWindowSeconds: number): Promise<number> {
    const res = await this.pool.query(
      `SELECT count(*)::int AS n FROM imports
        WHERE user_id IN (SELECT id FROM users WHERE account_id = (SELECT account_id FROM users WHERE id = $1)) AND status IN ${UNFINISHED}
         AND (status <> 'receiving' OR updated_at > clock_timestamp() - make_interval(secs => $2))`,
      [userId, receivingWindowSeconds],
    );
    return res.rows[0].n as number;
  }

  async start(id: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE imports SET status = 'importing', phase = 'verifying', bytes_done = 0, started_at = coalesce(started_at, clock_timestamp()),
         updated_at = clock_timestamp() WHERE id = $1 AND status IN ('queued', 'importing')`,
      [id],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async progress(id: string, phase: 'verifying' | 'storing', bytesDone: number): Promise<void> {
    await this.pool.query(`UPDATE imports SET phase = $2, bytes_done = $3, updated_at = clock_timestamp() WHERE id = $1 AND status = 'importing'`, [id, phase, bytesDone]);
  }

  async succeed(id: string, images: ImportedImage[]): Promise<void> {
    await this.pool.query(
      `UPDATE imports SET status = 'succeeded', images = $2, phase = NULL, bytes_done = coalesce(bytes_total, bytes_done),
         finished_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1`,
      [id, JSON.stringify(images)],
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE imports SET status = 'failed', error = $2, phase = NULL, finished_at = clock_timestamp(), updated_at = clock_timestamp()
         WHERE id = $1 AND status IN ${UNFINISHED}`,
      [id, error.slice(0, 2000)],
    );
  }
}
