import { randomUUID } from 'node:crypto';
import { OciError } from '@wharf/oci-errors';
import { hashPassword, newAccessKeyId, newSecretKey, loginKeyOf, randomToken, SecretBox, sha256Hex } from '@wharf/identity';
import { NotFoundError, ValidationError } from '@wharf/util';
import { AuditLog, AuthSettings, Clock, CredentialStore, UserRecord, UserStore } from './ports';

export const TEMPORARY_LOGIN = { minSeconds: 15 * 60, maxSeconds: 24 * 60 * 60, defaultSeconds: 24 * 60 * 60 } as const;

export interface TemporaryLogin {
  username: string;
  token: string;
  expiresAt: string;
  loginCommand: string;
}

export interface CreatedAccessKey {
  accessKey: string;
  secretKey: string;
  loginUsername: string;
  loginCommand: string;
}

export interface AccessKeyView {
  accessKey: string;
  enabled: boolean;
  createdAt: string;
  loginUsername: string;
}

/**
 * A signed-in user's own credentials: temporary login tokens and access keys (SPEC §3), and the
 * first-start bootstrap of the system administrator.
 */
export class AccountService {
  constructor(
    private readonly users: UserStore,
    private readonly credentials: CredentialStore,
    private readonly audit: AuditLog,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly settings: AuthSettings,
  ) {}

  private host(): string {
    return new URL(this.settings.publicUrl).host;
  }

  async temporaryLogin(user: UserRecord, durationSeconds: number | undefined, clientAddress: string | null): Promise<TemporaryLogin> {
    const seconds = durationSeconds ?? TEMPORARY_LOGIN.defaultSeconds;
    if (!Number.isInteger(seconds) || seconds < TEMPORARY_LOGIN.minSeconds || seconds > TEMPORARY_LOGIN.maxSeconds) {
      throw new ValidationError('durationSeconds', `durationSeconds must be an integer from ${TEMPORARY_LOGIN.minSeconds} (15 min) to ${TEMPORARY_LOGIN.maxSeconds} (24 h)`);
    }
    const token = randomToken('wt_');
    const expiresAt = new Date(this.clock.now().getTime() + seconds * 1000);
    await this.credentials.addTemporaryToken(sha256Hex(token), user.id, expiresAt);
    await this.audit.record({ actor: user.username, accountId: user.accountId, action: 'temporary-login.create', resource: user.username, result: 'success', clientAddress, detail: { expiresAt } });
    const username = `${this.settings.region}@${user.username}`;
    return { username, token, expiresAt: expiresAt.toISOString(), loginCommand: `docker login -u ${username} -p ${token} ${this.host()}` };
  }

  async createAccessKey(user: UserRecord, clientAddress: string | null): Promise<CreatedAccessKey> {
    const accessKey = newAccessKeyId();
    const secretKey = newSecretKey();
    await this.credentials.createAccessKey(accessKey, user.id, this.box.seal(secretKey));
    await this.audit.record({ actor: user.username, accountId: user.accountId, action: 'access-key.create', resource: accessKey, result: 'success', clientAddress });
    const loginUsername = `${this.settings.region}@${accessKey}`;
    return {
      accessKey,
      secretKey,
      loginUsername,
      loginCommand: `docker login -u ${loginUsername} -p ${loginKeyOf(accessKey, secretKey)} ${this.host()}`,
    };
  }

  async listAccessKeys(user: UserRecord): Promise<AccessKeyView[]> {
    return (await this.credentials.listAccessKeys(user.id)).map((k) => ({
      accessKey: k.accessKey,
      enabled: k.enabled,
      createdAt: k.createdAt.toISOString(),
      loginUsername: `${this.settings.region}@${k.accessKey}`,
    }));
  }

  async setAccessKeyEnabled(user: UserRecord, accessKey: string, enabled: boolean, clientAddress: string | null): Promise<void> {
    if (!(await this.credentials.setAccessKeyEnabled(accessKey, user.id, enabled))) throw new NotFoundError(`access key ${accessKey.slice(0, 40)} not found`);
    await this.audit.record({ actor: user.username, accountId: user.accountId, action: enabled ? 'access-key.enable' : 'access-key.disable', resource: accessKey, result: 'success', clientAddress });
  }

  async deleteAccessKey(user: UserRecord, accessKey: string, clientAddress: string | null): Promise<void> {
    if (!(await this.credentials.deleteAccessKey(accessKey, user.id))) throw new NotFoundError(`access key ${accessKey.slice(0, 40)} not found`);
    await this.audit.record({ actor: user.username, accountId: user.accountId, action: 'access-key.delete', resource: accessKey, result: 'success', clientAddress });
  }

  /**
   * First start: creates the system administrator (in a `system` account) when there is none.
   * Returns the generated password when one had to be made up, so it can be printed once.
   */
  async bootstrapAdmin(username: string, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    const actual = password ?? randomToken('', 18);
    const created = await this.users.createAdminIfNone({ accountId: randomUUID(), userId: randomUUID(), username, passwordHash: await hashPassword(actual) });
    if (!created) return { created: false };
    return password ? { created: true } : { created: true, generatedPassword: actual };
  }

  /** Creates an account with its owner (admin API and tests; the management API wraps it). */
  async createAccountWithOwner(name: string, username: string, password: string, orgQuota?: number | null): Promise<{ accountId: string; userId: string }> {
    const accountId = randomUUID();
    const userId = randomUUID();
    await this.users.createAccount({ id: accountId, name, orgQuota });
    await this.users.createUser({ id: userId, accountId, username, passwordHash: await hashPassword(password), role: 'owner' });
    return { accountId, userId };
  }

  async createMember(accountId: string, username: string, password: string): Promise<string> {
    const userId = randomUUID();
    await this.users.createUser({ id: userId, accountId, username, passwordHash: await hashPassword(password), role: 'member' });
    return userId;
  }

  /** The signed-in user of an API token, while the token's credential generation is still the user's. */
  async requireUser(caller: { userId: string; generation: number }): Promise<UserRecord> {
    const user = await this.users.findUserById(caller.userId);
    if (!user || !user.enabled) throw new OciError('UNAUTHORIZED', 'user is disabled or no longer exists');
    if (user.generation !== caller.generation) throw new OciError('UNAUTHORIZED', 'token revoked: the password changed or the user was disabled since');
    return user;
  }
}
