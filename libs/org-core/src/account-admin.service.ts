import type { AccountService, UserRecord } from '@wharf/auth-core';
import type { AuditLog } from '@wharf/auth-core';
import { hashPassword } from '@wharf/identity';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '@wharf/util';
import { recordAction } from './service-helpers';
import { AccountRecord, AccountStore, UserView } from './ports';

const ACCOUNT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const USERNAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export type UserOut = ReturnType<typeof userOut>;
export type AccountOut = ReturnType<typeof accountOut>;

function userOut(u: UserView) {
  return { id: u.id, accountId: u.accountId, username: u.username, role: u.role, isAdmin: u.isAdmin, enabled: u.enabled, createdAt: u.createdAt.toISOString() };
}
function accountOut(a: AccountRecord) {
  return { id: a.id, name: a.name, orgQuota: a.orgQuota, enabled: a.enabled, userCount: a.userCount, createdAt: a.createdAt.toISOString() };
}

/**
 * Accounts (tenants) and their users: a system administrator creates and disables accounts and
 * sets their organization quota; an account owner manages the account's users.
 */
export class AccountAdminService {
  constructor(
    private readonly store: AccountStore,
    private readonly accounts: AccountService,
    private readonly audit: AuditLog,
  ) {}

  async createAccount(caller: UserRecord, body: { name?: unknown; owner?: unknown; orgQuota?: unknown }, clientAddress: string | null): Promise<AccountOut> {
    this.requireAdmin(caller);
    const name = body['name'];
    if (typeof name !== 'string' || !ACCOUNT_NAME.test(name)) throw new ValidationError('name', 'name must be 1-64 lowercase letters, digits or "-"');
    const owner = body['owner'];
    if (typeof owner !== 'object' || owner === null) throw new ValidationError('owner', 'owner {username, password} is required');
    const { username, password } = owner as Record<string, unknown>;
    this.checkUsername(username, 'owner.username');
    this.checkPassword(password, 'owner.password');
    const quota = this.checkQuota(body['orgQuota']);
    try {
      const ids = await this.accounts.createAccountWithOwner(name, username as string, password as string, quota);
      await this.record(caller, 'account.create', name, clientAddress);
      return accountOut((await this.store.findAccount(ids.accountId)) as AccountRecord);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`account name or username already exists`);
      throw err;
    }
  }

  async listAccounts(caller: UserRecord, page: number, pageSize: number): Promise<{ items: AccountOut[]; total: number }> {
    this.requireAdmin(caller);
    const { items, total } = await this.store.listAccounts((page - 1) * pageSize, pageSize);
    return { items: items.map(accountOut), total };
  }

  async updateAccount(caller: UserRecord, id: string, body: { orgQuota?: unknown; enabled?: unknown }, clientAddress: string | null): Promise<AccountOut> {
    this.requireAdmin(caller);
    const account = await this.store.findAccount(id);
    if (!account) throw new NotFoundError(`account ${id.slice(0, 40)} not found`);
    const changes: { orgQuota?: number | null; enabled?: boolean } = {};
    if (body['orgQuota'] !== undefined) changes.orgQuota = this.checkQuota(body['orgQuota']);
    if (body['enabled'] !== undefined) {
      if (typeof body['enabled'] !== 'boolean') throw new ValidationError('enabled', 'enabled must be true or false');
      changes.enabled = body['enabled'];
    }
    await this.store.updateAccount(id, changes);
    await this.record(caller, 'account.update', account.name, clientAddress, changes);
    return accountOut((await this.store.findAccount(id)) as AccountRecord);
  }

  async createUser(caller: UserRecord, accountId: string, body: { username?: unknown; password?: unknown; role?: unknown }, clientAddress: string | null): Promise<UserOut> {
    await this.requireAccountManager(caller, accountId);
    this.checkUsername(body['username'], 'username');
    this.checkPassword(body['password'], 'password');
    if (body['role'] !== undefined && body['role'] !== 'member' && body['role'] !== 'owner') throw new ValidationError('role', 'role must be "owner" or "member"');
    try {
      const id = await this.accounts.createMember(accountId, body['username'] as string, body['password'] as string);
      if (body['role'] === 'owner') await this.store.updateUser(id, { role: 'owner' });
      await this.record(caller, 'user.create', body['username'] as string, clientAddress);
      return userOut((await this.store.findUser(id)) as UserView);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`username ${body['username']} already exists`);
      throw err;
    }
  }

  async listUsers(caller: UserRecord, accountId: string): Promise<{ items: UserOut[]; total: number }> {
    await this.requireAccountManager(caller, accountId);
    const items = (await this.store.listUsers(accountId)).map(userOut);
    return { items, total: items.length };
  }

  async updateUser(caller: UserRecord, userId: string, body: { enabled?: unknown; role?: unknown; password?: unknown }, clientAddress: string | null): Promise<UserOut> {
    const user = await this.store.findUser(userId);
    if (!user) throw new NotFoundError(`user ${userId.slice(0, 40)} not found`);
    // Another account's user is simply not found: the answer must not name that user's account.
    await this.requireAccountManager(caller, user.accountId, `user ${userId.slice(0, 40)} not found`);
    const changes: { enabled?: boolean; role?: 'owner' | 'member'; passwordHash?: string } = {};
    if (body['enabled'] !== undefined) {
      if (typeof body['enabled'] !== 'boolean') throw new ValidationError('enabled', 'enabled must be true or false');
      changes.enabled = body['enabled'];
    }
    if (body['role'] !== undefined) {
      if (body['role'] !== 'member' && body['role'] !== 'owner') throw new ValidationError('role', 'role must be "owner" or "member"');
      changes.role = body['role'];
    }
    if (body['password'] !== undefined) {
      this.checkPassword(body['password'], 'password');
      changes.passwordHash = await hashPassword(body['password'] as string);
    }
    if (user.id === caller.id && (changes.enabled === false || changes.role === 'member')) throw new ForbiddenError('you cannot disable or demote yourself');
    await this.store.updateUser(userId, changes);
    await this.record(caller, 'user.update', user.username, clientAddress, { enabled: changes.enabled, role: changes.role, password: changes.passwordHash ? 'changed' : undefined });
    return userOut((await this.store.findUser(userId)) as UserView);
  }

  private requireAdmin(caller: UserRecord): void {
    if (!caller.isAdmin) throw new ForbiddenError('only a system administrator manages accounts');
  }

  private async requireAccountManager(caller: UserRecord, accountId: string, notFound = `account ${accountId.slice(0, 40)} not found`): Promise<void> {
    if (caller.isAdmin) {
      if (!(await this.store.findAccount(accountId))) throw new NotFoundError(notFound);
      return;
    }
    if (caller.accountId !== accountId) throw new NotFoundError(notFound);
    if (caller.role !== 'owner') throw new ForbiddenError("only the account's owners manage its users");
  }

  private checkUsername(v: unknown, field: string): void {
    if (typeof v !== 'string' || !USERNAME.test(v)) throw new ValidationError(field, `${field} must be 1-64 lowercase letters, digits, ".", "_" or "-"`);
  }

  private checkPassword(v: unknown, field: string): void {
    if (typeof v !== 'string' || v.length < 8 || v.length > 256) throw new ValidationError(field, `${field} must be 8 to 256 characters`);
  }

  private checkQuota(v: unknown): number | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100_000) throw new ValidationError('orgQuota', 'orgQuota must be an integer from 0 to 100000, or null for the default');
    return v;
  }

  private record(caller: UserRecord, action: string, resource: string, clientAddress: string | null, detail?: object): Promise<void> {
    return recordAction(this.audit, caller, action, resource, clientAddress, detail);
  }
}
