import type { Pool, QueryConfig } from 'pg';
import type { AuditEvent, AuditLog } from '@wharf/auth-core';

/** The one audit insert, for the audit log and for changes that write their entry in their own transaction. */
export function auditInsert(e: AuditEvent): QueryConfig {
  return {
    name: 'audit-insert',
    text: 'INSERT INTO audit_events (actor, account_id, action, resource, result, client_address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    values: [e.actor, e.accountId, e.action, e.resource, e.result, e.clientAddress, e.detail ?? null],
  };
}

export class PgAuditLog implements AuditLog {
  constructor(private readonly pool: Pool) {}

  async record(e: AuditEvent): Promise<void> {
    await this.pool.query(auditInsert(e));
  }
}
