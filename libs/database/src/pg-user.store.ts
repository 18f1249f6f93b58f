import { Pool } from 'pg';
import type { UserRecord, UserStore } from '@wharf/auth-core';
import { withTransaction } from './transaction';

const USER_COLUMNS = `u.id, u.account_id, u.username, u.password_hash, u.role, u.is_admin, (u.enabled AND a.enabled) AS enabled, u.credential_generation`;

function toUser(r: Record<string, unknown>): UserRecord {
  return {
    id: r['id'] as string,
    accountId: r['account_id'] as string,
    username: r['username'] as string,
    passwordHash: r['password_hash'] as string,
    role: r['role'] as 'owner' | 'member',
    isAdmin: r['is_admin'] as boolean,
    enabled: r['enabled'] as boolean,
    generation: Number(r['credential_generation'] ?? 0),
  };
}

/** UserStore on Postgres: accounts and their users (a user is enabled only while its account is). */
export class PgUserStore implements UserStore {
  constructor(private readonly pool: Pool) {}

  findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.findUser('user-by-name', 'u.username', username);
  }
  findUserById(id: string): Promise<UserRecord | null> {
    return this.findUser('user-by-id', 'u.id', id);
  }
  private async findUser(statement: string, column: 'u.username' | 'u.id', value: string): Promise<UserRecord | null> {
    const res = await this.pool.query({
      name: statement,
      text: `SELECT ${USER_COLUMNS} FROM users u JOIN accounts a ON a.id = u.account_id WHERE ${column} = $1`,
      values: [value],
    });
    return res.rows[0] ? toUser(res.rows[0]) : null;
  }
  async createAccount(input: { id: string; name: string; orgQuota?: number | null }): Promise<void> {
    await this.pool.query('INSERT INTO accounts (id, name, org_quota) VALUES ($1, $2, $3)', [input.id, input.name, input.orgQuota ?? null]);
  }
  async createUser(input: { id: string; accountId: string; username: string; passwordHash: string; role: 'owner' | 'member'; isAdmin?: boolean }): Promise<void> {
    await this.pool.query('INSERT INTO users (id, account_id, username, password_hash, role, is_admin) VALUES ($1, $2, $3, $4, $5, $6)', [
      input.id,
      input.accountId,
      input.username,
      input.passwordHash,
      input.role,
      input.isAdmin ?? false,
    ]);
  }
  async setUserEnabled(userId: string, enabled: boolean): Promise<void> {
    await this.pool.query('UPDATE users SET enabled = $2 WHERE id = $1', [userId, enabled]);
  }
  async createAdminIfNone(input: { accountId: string; userId: string; username: string; passwordHash: string }): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      // Several replicas may start at once: one creates the administrator, the others see it.
      await tx.query('SELECT pg_advisory_xact_lock(727002)');
      const admins = await tx.query('SELECT 1 FROM users WHERE is_admin LIMIT 1');
      if (admins.rowCount) {
        return false;
      }
      await tx.query(`INSERT INTO accounts (id, name) VALUES ($1, 'system') ON CONFLICT (name) DO NOTHING`, [input.accountId]);
      const account = await tx.query(`SELECT id FROM accounts WHERE name = 'system'`);
      await tx.query(`INSERT INTO users (id, account_id, username, password_hash, role, is_admin) VALUES ($1, $2, $3, $4, 'owner', true)`, [
        input.userId,
        account.rows[0].id,
        input.username,
        input.passwordHash,
      ]);
      return true;
    });
  }}
