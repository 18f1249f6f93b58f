import type { AuditEvent, AuditLog, UserRecord, UserStore } from '@wharf/auth-core';
import { levelFromName, levelName, LevelValue } from '@wharf/identity';
import { NotFoundError, ValidationError } from '@wharf/util';

/** Input helpers the management services share (one way to read a level, find a grantee, audit). */

/** A `read` / `edit` / `manage` level from a request body field. */
export function parseLevel(value: unknown, field = 'level'): LevelValue {
  const level = typeof value === 'string' ? levelFromName(value) : null;
  if (level === null) throw new ValidationError(field, `${field} must be one of: read, edit, manage`);
  return level;
}

/** The user a grant is for; 404 naming them when there is none. */
export async function requireUserByName(users: UserStore, username: string): Promise<UserRecord> {
  const user = await users.findUserByUsername(username);
  if (!user) throw new NotFoundError(`user ${username} not found`);
  return user;
}

/** The audit entry of a successful management action by `user`. */
export function auditEntry(user: UserRecord, action: string, resource: string, clientAddress: string | null, detail?: object): AuditEvent {
  return { actor: user.username, accountId: user.accountId, action, resource, result: 'success', clientAddress, detail: detail as Record<string, unknown> };
}

/** Records a successful management action by `user`. */
export function recordAction(
  audit: AuditLog,
  user: UserRecord,
  action: string,
  resource: string,
  clientAddress: string | null,
  detail?: object,
): Promise<void> {
  return audit.record(auditEntry(user, action, resource, clientAddress, detail));
}

/** Per-user grants on one organization or repository: the store calls that differ between the two. */
export interface GrantTable {
  list(): Promise<{ username: string; level: LevelValue }[]>;
  set(userId: string, level: LevelValue): Promise<void>;
  remove(userId: string): Promise<boolean>;
}

/** Members and their levels (the caller has checked read access). */
export async function listGrants(table: GrantTable): Promise<{ items: { username: string; level: string }[]; total: number }> {
  const items = (await table.list()).map((m) => ({ username: m.username, level: levelName(m.level) as string }));
  return { items, total: items.length };
}

/** Grants `username` a level from a request body field (the caller has checked manage access). */
export async function setGrant(users: UserStore, table: GrantTable, username: string, level: unknown): Promise<{ username: string; level: string }> {
  const value = parseLevel(level);
  const member = await requireUserByName(users, username);
  await table.set(member.id, value);
  return { username, level: level as string };
}

/** Removes `username`'s grant; 404 with `notFound` when there is none. */
export async function removeGrant(users: UserStore, table: GrantTable, username: string, notFound: string): Promise<void> {
  const member = await users.findUserByUsername(username);
  if (!member || !(await table.remove(member.id))) throw new NotFoundError(notFound);
}
