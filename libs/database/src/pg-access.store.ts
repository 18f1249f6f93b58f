import { Pool } from 'pg';
import { Level, type Principal, type RepositoryFacts, type Visibility } from '@wharf/identity';
import type { AccessStore, NewOrganization, OrgCreation } from '@wharf/auth-core';
import { auditInsert } from './pg-audit-log';
import { withTransaction } from './transaction';

/**
 * AccessStore on Postgres: the facts of one permission decision in one statement, and the birth
 * of an organization (quota checked under a lock on its account, manager grant and audit entry in
 * the same transaction).
 */
export class PgAccessStore implements AccessStore {
  constructor(private readonly pool: Pool) {}

  async repositoryFacts(principal: Principal, repository: string): Promise<RepositoryFacts> {
    const org = repository.slice(0, repository.indexOf('/'));
    const userId = principal.kind === 'user' ? principal.userId : null;
    const accountId = principal.kind === 'anonymous' ? null : principal.accountId;
    const res = await this.pool.query({
      name: 'repository-facts',
      text: `SELECT o.id AS org_id, o.account_id, o.visibility AS org_visibility, r.visibility AS repo_visibility,
                    (SELECT m.level FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = $3) AS org_grant,
                    (SELECT m.level FROM repository_members m WHERE m.repository_id = r.id AND m.user_id = $3) AS repo_grant,
                    (SELECT coalesce(array_agg(s.deadline), '{}') FROM shares s WHERE s.repository_id = r.id AND s.account_id = $4) AS deadlines
               FROM (SELECT 1) one
               LEFT JOIN organizations o ON o.name = $1
               LEFT JOIN repositories r ON r.name = $2`,
      values: [org, repository, userId, accountId],
    });
    const r = res.rows[0];
    return {
      organization: r.account_id ? { id: String(r.org_id), accountId: r.account_id, visibility: r.org_visibility as Visibility } : null,
      repositoryVisibility: (r.repo_visibility as Visibility | null) ?? null,
      orgGrant: r.org_grant ?? null,
      repoGrant: r.repo_grant ?? null,
      shareDeadlines: (r.deadlines as (Date | null)[] | null) ?? [],
    };
  }
  async createOrganization(org: NewOrganization): Promise<OrgCreation> {
    const { name, accountId, defaultQuota, visibility = 'private' } = org;
    return withTransaction(this.pool, async (tx) => {
      // Serialise organization creation per account so two pushes cannot both take the last slot.
      const account = await tx.query('SELECT org_quota FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
      const quota = (account.rows[0]?.org_quota as number | null) ?? defaultQuota;
      const count = await tx.query('SELECT count(*)::int AS n FROM organizations WHERE account_id = $1', [accountId]);
      if ((count.rows[0].n as number) >= quota) {
        return { kind: 'quota', quota };
      }
      const inserted = await tx.query(
        'INSERT INTO organizations (name, account_id, visibility) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id',
        [name, accountId, visibility],
      );
      if (!inserted.rowCount) return { kind: 'exists' };
      if (org.managerUserId) {
        await tx.query('INSERT INTO organization_members (organization_id, user_id, level) VALUES ($1, $2, $3)', [inserted.rows[0].id, org.managerUserId, Level.manage]);
      }
      await tx.query(auditInsert(org.audit));
      return { kind: 'created' };
    });
  }}
