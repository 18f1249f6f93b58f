import type { UserRecord } from '@wharf/auth-core';

/** A user for the org-core service specs: an account owner unless `over` says otherwise. */
export const specUser = (over: Partial<UserRecord> = {}): UserRecord => ({
  id: 'u-owner',
  accountId: 'acct-1',
  username: 'olive',
  passwordHash: '',
  role: 'owner',
  isAdmin: false,
  enabled: true,
  generation: 0,
  ...over,
});
