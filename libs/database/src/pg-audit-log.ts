import type { Pool, QueryConfig } from 'pg';
import type { AuditEvent, AuditLog } from '@wharf/auth-core';
import type { AuditEntry, AuditQuery, AuditSearch } from '@wharf/org-core';

/** The one audit insert, for the audit log and for changes that write their entry in their own transaction. */
export function auditInsert(e: AuditEvent): QueryConfig {
  return {
    name: 'audit-insert',
    text: 'INSERT INTO audit_events (actor, account_id, action, resource, result, client_address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    values: [e.actor, e.accountId, e.action, e.resource, e.result, e.clientAddress, e.detail ?? null],
  };
}

export class PgAuditLog implements AuditLog, AuditSearch {
  constructor(private readonly pool: Pool) {}

  async record(e: AuditEvent): Promise<void> {
    await this.pool.query(auditInsert(e));
  }

  async searchAudit(q: AuditQuery): Promise<{ items: AuditEntry[]; total: number }> {
    const res = await this.pool.query(
      `SELECT id, at, actor, account_id, action, resource, result, client_address, detail, count(*) OVER () AS total
         FROM audit_events
        WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
          AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR resource = $5)
          AND ($6::uuid IS NULL OR account_id = $6)
        ORDER BY at DESC, id DESC OFFSET $7 LIMIT $8`,
      [q.from ?? null, q.to ?? null, q.actor ?? null, q.action ?? null, q.resource ?? null, q.accountId, q.offset, q.limit],
    );
    return {
      items: res.rows.map((r) => ({
        id: String(r.id),
        at: (r.at as Date).toISOString(),
        actor: r.actor,
        accountId: r.account_id,
        action: r.action,
        resource: r.resource,
        result: r.result,
        clientAddress: r.client_address,
        detail: r.detail,
      })),
      total: res.rows[0] ? Number(res.rows[0].total) : 0,
    };
  }}
