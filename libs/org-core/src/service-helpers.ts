import type { AuditLog, IdentityStore, UserRecord } from '@wharf/auth-core';
import { levelFromName, LevelValue } from '@wharf/identity';
import { NotFoundError, ValidationError } from '@wharf/util';

/** Input helpers the management services share (one way to read a level, find a grantee, audit). */

/** A `read` / `edit` / `manage` level from a request body field. */
export function parseLevel(value: unknown, field = 'level'): LevelValue {
  const level = typeof value === 'string' ? levelFromName(value) : null;
  if (level === null) throw new ValidationError(field, `${field} must be one of: read, edit, manage`);
  return level;
}

/** The user a grant is for; 404 naming them when there is none. */
export async function requireUserByName(identity: IdentityStore, username: string): Promise<UserRecord> {
  const user = await identity.findUserByUsername(username);
  if (!user) throw new NotFoundError(`user ${username} not found`);
  return user;
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
  return audit.record({ actor: user.username, accountId: user.accountId, action, resource, result: 'success', clientAddress, detail: detail as Record<string, unknown> });
}
