import { Pool } from 'pg';
import type { LevelValue } from '@wharf/identity';
import type { RobotRecord, RobotStore, RobotView } from '@wharf/auth-core';

/** A robot is usable only while it and its organization's account are enabled. */
const ROBOT_SELECT = `SELECT r.id, r.name, r.secret_hash, r.level, r.expires_at, (r.enabled AND a.enabled) AS enabled, o.name AS org_name, o.account_id
  FROM robots r JOIN organizations o ON o.id = r.organization_id JOIN accounts a ON a.id = o.account_id`;

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

/** RobotStore on Postgres: robot accounts of organizations (secret hashed). */
export class PgRobotStore implements RobotStore {
  constructor(private readonly pool: Pool) {}

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
  }}
