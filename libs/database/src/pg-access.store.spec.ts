import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { AuditEvent } from '@wharf/auth-core';
import { Level } from '@wharf/identity';
import { requireService } from '@wharf/testing';
import { PgAccessStore } from './pg-access.store';
import { PgUserStore } from './pg-user.store';

/**
 * The access store on the suite's Postgres: an organization is created with its manager grant
 * and audit entry in one transaction, so a failure of any of them leaves nothing behind.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');

(databaseUrl ? describe : describe.skip)('PgAccessStore.createOrganization', () => {
  let pool: Pool;
  let store: PgAccessStore;
  const accountId = randomUUID();
  const userId = randomUUID();
  const audit = (name: string, detail: Record<string, unknown> = {}): AuditEvent => ({
    actor: 'creator',
    accountId,
    action: 'organization.create',
    resource: name,
    result: 'success',
    clientAddress: '203.0.113.1',
    detail,
  });
  const rows = async (sql: string, ...values: unknown[]) => (await pool.query(sql, values)).rowCount;

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl as string, max: 2 });
    store = new PgAccessStore(pool);
    const users = new PgUserStore(pool);
    await users.createAccount({ id: accountId, name: `acct${randomBytes(4).toString('hex')}`, orgQuota: 2 });
    await users.createUser({ id: userId, accountId, username: `member${randomBytes(4).toString('hex')}`, passwordHash: 'x', role: 'member' });
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('writes the organization, its manager grant and its audit entry together', async () => {
    const name = `tx${randomBytes(4).toString('hex')}`;
    expect(await store.createOrganization({ name, accountId, defaultQuota: 5, managerUserId: userId, audit: audit(name) })).toEqual({ kind: 'created' });
    expect(await rows('SELECT 1 FROM organizations WHERE name = $1', name)).toBe(1);
    expect(await rows('SELECT 1 FROM organization_members m JOIN organizations o ON o.id = m.organization_id WHERE o.name = $1 AND m.level = $2', name, Level.manage)).toBe(1);
    expect(await rows(`SELECT 1 FROM audit_events WHERE action = 'organization.create' AND resource = $1 AND client_address = '203.0.113.1'`, name)).toBe(1);
    // The same name again: nothing new, no second audit entry.
    expect(await store.createOrganization({ name, accountId, defaultQuota: 5, audit: audit(name) })).toEqual({ kind: 'exists' });
    expect(await rows(`SELECT 1 FROM audit_events WHERE action = 'organization.create' AND resource = $1`, name)).toBe(1);
  });

  it('leaves no organization behind when its audit entry cannot be written', async () => {
    const name = `txfail${randomBytes(4).toString('hex')}`;
    // Postgres refuses a NUL character in jsonb: the audit insert fails inside the transaction.
    await expect(store.createOrganization({ name, accountId, defaultQuota: 5, managerUserId: userId, audit: audit(name, { note: 'a\u0000b' }) })).rejects.toThrow();
    expect(await rows('SELECT 1 FROM organizations WHERE name = $1', name)).toBe(0);
    // The failed attempt did not use up the account's quota of 2 (one organization so far).
    const next = `txok${randomBytes(4).toString('hex')}`;
    expect(await store.createOrganization({ name: next, accountId, defaultQuota: 5, audit: audit(next) })).toEqual({ kind: 'created' });
    expect(await store.createOrganization({ name: `${next}x`, accountId, defaultQuota: 5, audit: audit(`${next}x`) })).toEqual({ kind: 'quota', quota: 2 });
  });
});
