import { Pool } from 'pg';
import { withTransaction } from './transaction';
import type { LevelValue, Visibility } from '@wharf/identity';
import { orgRepoRange } from './org-range';
import type { AccountRecord, AccountStore, MemberRecord, OrgRecord, OrgStore, OrgViewer, RobotView, UserView } from '@wharf/org-core';

const ORG_COLUMNS = 'o.id, o.name, o.account_id, o.visibility, o.storage_quota_bytes, o.created_at';

function toOrg(r: Record<string, unknown>): OrgRecord {
  return {
    id: String(r['id']),
    name: r['name'] as string,
    accountId: r['account_id'] as string,
    visibility: r['visibility'] as Visibility,
    storageQuotaBytes: r['storage_quota_bytes'] === null ? null : Number(r['storage_quota_bytes']),
    createdAt: r['created_at'] as Date,
  };
}

/** OrgStore on Postgres. Repositories belong to an organization by their first path component. */
export class PgOrgStore implements OrgStore {
  constructor(private readonly pool: Pool) {}

  async findOrganization(name: string): Promise<OrgRecord | null> {
    const res = await this.pool.query({ name: 'org-by-name', text: `SELECT ${ORG_COLUMNS} FROM organizations o WHERE o.name = $1`, values: [name] });
    return res.rows[0] ? toOrg(res.rows[0]) : null;
  }

  async listOrganizations(viewer: OrgViewer, offset: number, limit: number): Promise<{ items: OrgRecord[]; total: number }> {
    const res = await this.pool.query({
      name: 'org-list',
      text: `SELECT ${ORG_COLUMNS}, count(*) OVER () AS total FROM organizations o
              WHERE $1 OR o.visibility = 'public' OR ($2 AND o.account_id = $3)
                 OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = $4)
              ORDER BY o.name OFFSET $5 LIMIT $6`,
      values: [viewer.isAdmin, viewer.isOwner, viewer.accountId, viewer.userId, offset, limit],
    });
    return { items: res.rows.map(toOrg), total: res.rows[0] ? Number(res.rows[0].total) : 0 };
  }

  async countRepositories(organization: string): Promise<number> {
    const res = await this.pool.query({
      name: 'org-repo-count',
      text: `SELECT count(*)::int AS n FROM repositories WHERE name > $1 AND name < $2`,
      values: orgRepoRange(organization),
    });
    return res.rows[0].n as number;
  }

  async usedBytes(organization: string): Promise<number> {
    const res = await this.pool.query(
      `SELECT coalesce(sum(b.size), 0) AS used FROM blobs b WHERE b.digest IN (
         SELECT rb.digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE r.name > $1 AND r.name < $2)`,
      orgRepoRange(organization),
    );
    return Number(res.rows[0].used);
  }

  async deleteOrganization(organization: string): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      // Each repository's deletion is a registry event (triggers, sync), relayed from the outbox.
      await tx.query(
        `WITH gone AS (DELETE FROM repositories WHERE name > $1 AND name < $2 RETURNING name)
         INSERT INTO registry_outbox (kind, repository) SELECT 'repository.deleted', name FROM gone`,
        orgRepoRange(organization),
      );
      await tx.query('DELETE FROM organizations WHERE name = $1', [organization]);
    });
  }

  async updateOrganization(organization: string, changes: { visibility?: Visibility; storageQuotaBytes?: number | null }): Promise<void> {
    if (changes.visibility !== undefined) await this.pool.query('UPDATE organizations SET visibility = $2 WHERE name = $1', [organization, changes.visibility]);
    if (changes.storageQuotaBytes !== undefined) {
      await this.pool.query('UPDATE organizations SET storage_quota_bytes = $2 WHERE name = $1', [organization, changes.storageQuotaBytes]);
    }
  }

  async memberLevel(organizationId: string, userId: string): Promise<LevelValue | null> {
    const res = await this.pool.query({
      name: 'org-member-level',
      text: 'SELECT level FROM organization_members WHERE organization_id = $1 AND user_id = $2',
      values: [organizationId, userId],
    });
    return (res.rows[0]?.level as LevelValue | undefined) ?? null;
  }

  async listMembers(organizationId: string): Promise<MemberRecord[]> {
    const res = await this.pool.query(
      'SELECT u.id, u.username, m.level FROM organization_members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 ORDER BY u.username',
      [organizationId],
    );
    return res.rows.map((r) => ({ userId: r.id, username: r.username, level: r.level }));
  }

  async setMember(organizationId: string, userId: string, level: LevelValue): Promise<void> {
    await this.pool.query(
      `INSERT INTO organization_members (organization_id, user_id, level) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id, user_id) DO UPDATE SET level = EXCLUDED.level`,
      [organizationId, userId, level],
    );
  }

  async removeMember(organizationId: string, userId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2', [organizationId, userId]);
    return (res.rowCount ?? 0) > 0;
  }

  async listRobots(organizationId: string): Promise<RobotView[]> {
    const res = await this.pool.query('SELECT id, name, level, expires_at, enabled, created_at FROM robots WHERE organization_id = $1 ORDER BY name', [organizationId]);
    return res.rows.map((r) => ({ id: r.id, name: r.name, level: r.level, expiresAt: r.expires_at, enabled: r.enabled, createdAt: r.created_at }));
  }

  async setRobotEnabled(organizationId: string, name: string, enabled: boolean): Promise<boolean> {
    const res = await this.pool.query('UPDATE robots SET enabled = $3 WHERE organization_id = $1 AND name = $2', [organizationId, name, enabled]);
    return (res.rowCount ?? 0) > 0;
  }

  async deleteRobot(organizationId: string, name: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM robots WHERE organization_id = $1 AND name = $2', [organizationId, name]);
    return (res.rowCount ?? 0) > 0;
  }
}

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
