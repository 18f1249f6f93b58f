import { Pool } from 'pg';
import type { AccountRecord, AccountStore, UserView } from '@wharf/org-core';

const ACCOUNT_SELECT = `SELECT a.id, a.name, a.org_quota, a.enabled, a.created_at, (SELECT count(*)::int FROM users u WHERE u.account_id = a.id) AS user_count FROM accounts a`;
const toAccount = (r: Record<string, unknown>): AccountRecord => ({
  id: r['id'] as string,
  name: r['name'] as string,
  orgQuota: (r['org_quota'] as number | null) ?? null,
  enabled: r['enabled'] as boolean,
  createdAt: r['created_at'] as Date,
  userCount: r['user_count'] as number,
});
const toUserView = (r: Record<string, unknown>): UserView => ({
  id: r['id'] as string,
  accountId: r['account_id'] as string,
  username: r['username'] as string,
  role: r['role'] as 'owner' | 'member',
  isAdmin: r['is_admin'] as boolean,
  enabled: r['enabled'] as boolean,
  createdAt: r['created_at'] as Date,
});

/** AccountStore on Postgres (accounts and their users, for administrators and owners). */
export class PgAccountStore implements AccountStore {
  constructor(private readonly pool: Pool) {}

  async listAccounts(offset: number, limit: number): Promise<{ items: AccountRecord[]; total: number }> {
    const res = await this.pool.query(`SELECT *, count(*) OVER () AS total FROM (${ACCOUNT_SELECT}) a ORDER BY a.name OFFSET $1 LIMIT $2`, [offset, limit]);
    return { items: res.rows.map(toAccount), total: res.rows[0] ? Number(res.rows[0].total) : 0 };
  }

  async findAccount(id: string): Promise<AccountRecord | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    const res = await this.pool.query(`${ACCOUNT_SELECT} WHERE a.id = $1`, [id]);
    return res.rows[0] ? toAccount(res.rows[0]) : null;
  }

  async updateAccount(id: string, c: { orgQuota?: number | null; enabled?: boolean }): Promise<void> {
    await this.pool.query(
      `UPDATE accounts SET org_quota = CASE WHEN $2 THEN $3 ELSE org_quota END, enabled = coalesce($4, enabled) WHERE id = $1`,
      [id, c.orgQuota !== undefined, c.orgQuota ?? null, c.enabled ?? null],
    );
    // Disabling an account revokes every token its users hold, for good (re-enabling does not revive them).
    if (c.enabled === false) await this.pool.query('UPDATE users SET credential_generation = credential_generation + 1 WHERE account_id = $1', [id]);
  }

  async listUsers(accountId: string): Promise<UserView[]> {
    const res = await this.pool.query('SELECT id, account_id, username, role, is_admin, enabled, created_at FROM users WHERE account_id = $1 ORDER BY username', [accountId]);
    return res.rows.map(toUserView);
  }

  async findUser(id: string): Promise<UserView | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    const res = await this.pool.query('SELECT id, account_id, username, role, is_admin, enabled, created_at FROM users WHERE id = $1', [id]);
    return res.rows[0] ? toUserView(res.rows[0]) : null;
  }

  async updateUser(id: string, c: { enabled?: boolean; role?: 'owner' | 'member'; passwordHash?: string }): Promise<void> {
    // A new password or a disabled user revokes the API and refresh tokens issued before.
    const revoke = c.passwordHash !== undefined || c.enabled === false;
    await this.pool.query(
      `UPDATE users SET enabled = coalesce($2, enabled), role = coalesce($3, role), password_hash = coalesce($4, password_hash),
         credential_generation = credential_generation + $5 WHERE id = $1`,
      [id, c.enabled ?? null, c.role ?? null, c.passwordHash ?? null, revoke ? 1 : 0],
    );
  }
}
