import { Pool } from 'pg';
import { withTransaction } from './transaction';
import type { LevelValue, Visibility } from '@wharf/identity';
import { orgRepoRange } from './org-range';
import type { MemberRecord, OrgRecord, OrgStore, OrgViewer } from '@wharf/org-core';

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



}
