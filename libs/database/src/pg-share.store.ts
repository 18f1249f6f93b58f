import { Pool } from 'pg';
import type { ShareRecord, ShareStore } from '@wharf/org-core';

/** ShareStore on Postgres. */
export class PgShareStore implements ShareStore {
  constructor(private readonly pool: Pool) {}

  async listShares(repositoryId: string): Promise<ShareRecord[]> {
    const res = await this.pool.query(
      'SELECT s.account_id, a.name, s.deadline, s.description, s.created_at FROM shares s JOIN accounts a ON a.id = s.account_id WHERE s.repository_id = $1 ORDER BY a.name',
      [repositoryId],
    );
    return res.rows.map((r) => ({ accountId: r.account_id, accountName: r.name, deadline: r.deadline, description: r.description, createdAt: r.created_at }));
  }
  async upsertShare(repositoryId: string, accountId: string, deadline: Date | null, description: string, createdBy: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO shares (repository_id, account_id, deadline, description, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (repository_id, account_id) DO UPDATE SET deadline = EXCLUDED.deadline, description = EXCLUDED.description`,
      [repositoryId, accountId, deadline, description, createdBy],
    );
  }
  async deleteShare(repositoryId: string, accountId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM shares WHERE repository_id = $1 AND account_id = $2', [repositoryId, accountId]);
    return (res.rowCount ?? 0) > 0;
  }
  async findAccountByName(name: string): Promise<{ id: string } | null> {
    const res = await this.pool.query('SELECT id FROM accounts WHERE name = $1', [name]);
    return res.rows[0] ? { id: res.rows[0].id } : null;
  }}
