import { withTransaction } from './transaction';
import { Pool } from 'pg';
import { auditInsert } from './pg-audit-log';
import { Level, type LevelValue, type Principal, type RepositoryFacts, type Visibility } from '@wharf/identity';
import type { AccessKeyRecord, IdentityStore, NewOrganization, OrgCreation, RobotRecord, SigningKeyRecord, UserRecord } from '@wharf/auth-core';

const USER_COLUMNS = `u.id, u.account_id, u.username, u.password_hash, u.role, u.is_admin, (u.enabled AND a.enabled) AS enabled, u.credential_generation`;

/** A robot is usable only while it and its organization's account are enabled. */
const ROBOT_SELECT = `SELECT r.id, r.name, r.secret_hash, r.level, r.expires_at, (r.enabled AND a.enabled) AS enabled, o.name AS org_name, o.account_id
  FROM robots r JOIN organizations o ON o.id = r.organization_id JOIN accounts a ON a.id = o.account_id`;

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

function toRobot(r: Record<string, unknown>): RobotRecord {
  return {
    id: r['id'] as string,
    organization: r['org_name'] as string,
    accountId: r['account_id'] as string,
    name: r['name'] as string,
    secretHash: r['secret_hash'] as string,
    level: r['level'] as LevelValue,
    expiresAt: (r['expires_at'] as Date | null) ?? null,
    enabled: r['enabled'] as boolean,
  };
}

/** IdentityStore on Postgres (accounts, users, credentials, organizations, grants, keys). */
export class PgIdentityStore implements IdentityStore {
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
  }

  async addTemporaryToken(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.pool.query('INSERT INTO temporary_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
  }

  async findTemporaryToken(tokenHash: string): Promise<{ userId: string; expiresAt: Date } | null> {
    const res = await this.pool.query({ name: 'temp-token', text: 'SELECT user_id, expires_at FROM temporary_tokens WHERE token_hash = $1', values: [tokenHash] });
    return res.rows[0] ? { userId: res.rows[0].user_id, expiresAt: res.rows[0].expires_at } : null;
  }

  async createAccessKey(accessKey: string, userId: string, secretSealed: string): Promise<void> {
    await this.pool.query('INSERT INTO access_keys (access_key, user_id, secret_sealed) VALUES ($1, $2, $3)', [accessKey, userId, secretSealed]);
  }

  async findAccessKey(accessKey: string): Promise<AccessKeyRecord | null> {
    const res = await this.pool.query({
      name: 'access-key',
      text: 'SELECT access_key, user_id, secret_sealed, enabled, created_at FROM access_keys WHERE access_key = $1',
      values: [accessKey],
    });
    const r = res.rows[0];
    return r ? { accessKey: r.access_key, userId: r.user_id, secretSealed: r.secret_sealed, enabled: r.enabled, createdAt: r.created_at } : null;
  }

  async listAccessKeys(userId: string): Promise<AccessKeyRecord[]> {
    const res = await this.pool.query('SELECT access_key, user_id, secret_sealed, enabled, created_at FROM access_keys WHERE user_id = $1 ORDER BY created_at', [userId]);
    return res.rows.map((r) => ({ accessKey: r.access_key, userId: r.user_id, secretSealed: r.secret_sealed, enabled: r.enabled, createdAt: r.created_at }));
  }

  async setAccessKeyEnabled(accessKey: string, userId: string, enabled: boolean): Promise<boolean> {
    const res = await this.pool.query('UPDATE access_keys SET enabled = $3 WHERE access_key = $1 AND user_id = $2', [accessKey, userId, enabled]);
    return (res.rowCount ?? 0) > 0;
  }

  async deleteAccessKey(accessKey: string, userId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM access_keys WHERE access_key = $1 AND user_id = $2', [accessKey, userId]);
    return (res.rowCount ?? 0) > 0;
  }

  async findRobot(organization: string, name: string): Promise<RobotRecord | null> {
    const res = await this.pool.query({
      name: 'robot-by-name',
      text: `${ROBOT_SELECT} WHERE o.name = $1 AND r.name = $2`,
      values: [organization, name],
    });
    return res.rows[0] ? toRobot(res.rows[0]) : null;
  }

  async findRobotById(id: string): Promise<RobotRecord | null> {
    const res = await this.pool.query(
      `${ROBOT_SELECT} WHERE r.id = $1`,
      [id],
    );
    return res.rows[0] ? toRobot(res.rows[0]) : null;
  }

  async createRobot(input: { id: string; organization: string; name: string; secretHash: string; level: LevelValue; expiresAt: Date | null }): Promise<void> {
    const res = await this.pool.query(
      `INSERT INTO robots (id, organization_id, name, secret_hash, level, expires_at)
       SELECT $1, o.id, $3, $4, $5, $6 FROM organizations o WHERE o.name = $2`,
      [input.id, input.organization, input.name, input.secretHash, input.level, input.expiresAt],
    );
    if (res.rowCount === 0) throw new Error(`organization ${input.organization} does not exist`);
  }

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
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const res = await this.pool.query('SELECT kid, algorithm, private_key_sealed, public_jwk, created_at, retired_at FROM signing_keys');
    return res.rows.map((r) => ({
      kid: r.kid,
      algorithm: r.algorithm,
      privateKeySealed: r.private_key_sealed,
      publicJwk: r.public_jwk,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
    }));
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.pool.query('INSERT INTO signing_keys (kid, algorithm, private_key_sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)', [
      key.kid,
      key.algorithm,
      key.privateKeySealed,
      key.publicJwk,
      key.createdAt,
    ]);
  }

  async retireSigningKeys(olderThan: Date, except: string): Promise<void> {
    await this.pool.query('UPDATE signing_keys SET retired_at = now() WHERE created_at < $1 AND kid <> $2 AND retired_at IS NULL', [olderThan, except]);
  }
}

/** The audit log port on the `audit_events` table (the management API adds searching it). */
