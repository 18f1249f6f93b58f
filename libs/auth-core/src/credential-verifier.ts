import { randomBytes } from 'node:crypto';
import { OciError } from '@wharf/oci-errors';
import {
  ACCESS_KEY_PATTERN,
  loginKeyOf,
  parseRegionalLogin,
  parseRobotUsername,
  Principal,
  safeEqual,
  SecretBox,
  sha256Hex,
  hashPassword,
  verifyPassword,
} from '@wharf/identity';
import { TtlCache } from '@wharf/util';
import { AuditLog, AuthSettings, Clock, CredentialStore, LoginRateLimiter, RobotStore, UserRecord, UserStore } from './ports';

export type CredentialKind = 'password' | 'temporary' | 'access-key' | 'robot';

export interface Authenticated {
  principal: Exclude<Principal, { kind: 'anonymous' }>;
  /** Which credential was used; refresh tokens re-check it so revoking it ends them too. */
  credential: { kind: CredentialKind; id: string };
  /** The user's credential generation at sign-in (robots: 0); tokens carry it. */
  generation: number;
}

class LoginRefused extends Error {}

let dummy: Promise<string> | null = null;
/** A password hash no password matches, checked for unknown users (made once per process). */
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}

/** The login limiter's key: failures count per username and client address. */
export function loginRateKey(username: string, clientAddress: string | null): string {
  return `${loginRatePrefix(username)}${clientAddress ?? ''}`;
}

/** The prefix shared by a username's keys from every address (an operator's unlock clears them all). */
export function loginRatePrefix(username: string): string {
  return `${username.toLowerCase()}|`;
}

/**
 * Checks the Basic credentials `docker login` sends (SPEC §3): password, temporary login token,
 * AK/SK long-term key, robot secret. Failures are rate limited per username and client address
 * (429 TOOMANYREQUESTS with Retry-After) and every attempt is audited.
 */
export class CredentialVerifier {
  /**
   * Passwords verified recently, keyed by a SHA-256 of username, password and the stored hash (so
   * a password change invalidates the entry): clients ask for a token per scope, and scrypt's
   * ~50 ms per check would otherwise dominate every push. Kept in memory only, 5 minutes.
   */
  private readonly recentPasswords = new TtlCache<true>(5 * 60_000, 10_000);
  /**
   * Checks running now, by the same key: 32 clients starting at once with the same credentials
   * (a CI fan-out, a rollout) wait for one scrypt instead of each paying ~50 ms of CPU and 16 MiB.
   */
  private readonly passwordChecks = new Map<string, Promise<boolean>>();

  constructor(
    private readonly users: UserStore,
    private readonly credentials: CredentialStore,
    private readonly robots: RobotStore,
    private readonly audit: AuditLog,
    private readonly limiter: LoginRateLimiter,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly settings: AuthSettings,
  ) {}

  async authenticate(username: string, password: string, clientAddress: string | null): Promise<Authenticated> {
    const key = loginRateKey(username, clientAddress);
    const wait = await this.limiter.blockedFor(key);
    if (wait > 0) {
      await this.audit.record({ actor: username, accountId: null, action: 'login', resource: null, result: 'failure', clientAddress, detail: { reason: 'rate limited' } });
      throw new OciError('TOOMANYREQUESTS', `too many failed logins for ${username}; try again in ${wait} s`, undefined, { 'retry-after': String(wait) });
    }
    try {
      const who = await this.resolve(username, password);
      await this.limiter.reset(key);
      await this.audit.record({
        actor: who.principal.username,
        accountId: who.principal.accountId,
        action: 'login',
        resource: null,
        result: 'success',
        clientAddress,
        detail: { credential: who.credential.kind },
      });
      return who;
    } catch (err) {
      if (!(err instanceof LoginRefused)) throw err;
      await this.limiter.recordFailure(key);
      await this.audit.record({ actor: username, accountId: null, action: 'login', resource: null, result: 'failure', clientAddress, detail: { reason: err.message } });
      // One answer for every refusal (the audit log keeps the reason): nothing tells which names exist.
      throw new OciError('UNAUTHORIZED', 'invalid username or password');
    }
  }

  /** Re-checks a credential named by a refresh token; null when it no longer grants access. */
  async revalidate(credential: Authenticated['credential'], userOrRobotId: string, generation: number): Promise<Authenticated | null> {
    const now = this.clock.now();
    if (credential.kind === 'robot') {
      const robot = await this.robots.findRobotById(credential.id);
      if (!robot || !robot.enabled || (robot.expiresAt && robot.expiresAt <= now)) return null;
      return this.robotPrincipal(robot);
    }
    const user = await this.users.findUserById(userOrRobotId);
    if (!user || !user.enabled || user.generation !== generation) return null;
    if (credential.kind === 'temporary') {
      const t = await this.credentials.findTemporaryToken(credential.id);
      if (!t || t.userId !== user.id || t.expiresAt <= now) return null;
    }
    if (credential.kind === 'access-key') {
      const k = await this.credentials.findAccessKey(credential.id);
      if (!k || !k.enabled || k.userId !== user.id) return null;
    }
    return { principal: userPrincipal(user), credential, generation: user.generation };
  }

  private async resolve(username: string, password: string): Promise<Authenticated> {
    const robot = parseRobotUsername(username);
    if (robot) return this.robot(robot.organization, robot.name, password);
    const regional = parseRegionalLogin(username);
    if (regional) {
      if (regional.region !== this.settings.region) throw new LoginRefused(`unknown region "${regional.region}" (this registry is ${this.settings.region})`);
      if (ACCESS_KEY_PATTERN.test(regional.subject)) return this.accessKey(regional.subject, password);
      const user = await this.enabledUser(regional.subject);
      return this.temporary(user, password);
    }
    const user = await this.users.findUserByUsername(username);
    if (!user) {
      // As slow as a wrong password, so timing does not tell whether the user exists.
      await verifyPassword(password, await dummyHash());
      throw new LoginRefused(`no user ${username}`);
    }
    if (!(await this.checkPassword(user, password))) throw new LoginRefused('wrong password');
    if (!user.enabled) throw new LoginRefused(`user ${username} is disabled`);
    return { principal: userPrincipal(user), credential: { kind: 'password', id: user.id }, generation: user.generation };
  }

  private async checkPassword(user: UserRecord, password: string): Promise<boolean> {
    const key = sha256Hex(`${user.username}\u0000${password}\u0000${user.passwordHash}`);
    if (this.recentPasswords.get(key)) return true;
    let check = this.passwordChecks.get(key);
    if (!check) {
      check = verifyPassword(password, user.passwordHash)
        .then((ok) => {
          if (ok) this.recentPasswords.set(key, true);
          return ok;
        })
        .finally(() => this.passwordChecks.delete(key));
      this.passwordChecks.set(key, check);
    }
    return check;
  }

  private async enabledUser(username: string): Promise<UserRecord> {
    const user = await this.users.findUserByUsername(username);
    if (!user) throw new LoginRefused('invalid username or password');
    if (!user.enabled) throw new LoginRefused(`user ${username} is disabled`);
    return user;
  }

  private async temporary(user: UserRecord, token: string): Promise<Authenticated> {
    const hash = sha256Hex(token);
    const found = await this.credentials.findTemporaryToken(hash);
    if (!found || found.userId !== user.id) throw new LoginRefused('invalid temporary login token');
    if (found.expiresAt <= this.clock.now()) throw new LoginRefused(`temporary login token expired at ${found.expiresAt.toISOString()}`);
    return { principal: userPrincipal(user), credential: { kind: 'temporary', id: hash }, generation: user.generation };
  }

  private async accessKey(ak: string, password: string): Promise<Authenticated> {
    const key = await this.credentials.findAccessKey(ak);
    if (!key) throw new LoginRefused(`unknown access key ${ak}`);
    const user = await this.users.findUserById(key.userId);
    if (!user) throw new LoginRefused(`unknown access key ${ak}`);
    if (!user.enabled) throw new LoginRefused(`user ${user.username} is disabled`);
    if (safeEqual(password, loginKeyOf(ak, this.box.open(key.secretSealed)))) {
      if (!key.enabled) throw new LoginRefused(`access key ${ak} is disabled`);
      return { principal: userPrincipal(user), credential: { kind: 'access-key', id: ak }, generation: user.generation };
    }
    // `<region>@<AK>` with a temporary token (the console's temporary login command) also works.
    return this.temporary(user, password);
  }

  private async robot(organization: string, name: string, secret: string): Promise<Authenticated> {
    const robot = await this.robots.findRobot(organization, name);
    if (!robot || !safeEqual(sha256Hex(secret), robot.secretHash)) throw new LoginRefused('invalid robot account or secret');
    if (!robot.enabled) throw new LoginRefused(`robot account ${name} is disabled`);
    if (robot.expiresAt && robot.expiresAt <= this.clock.now()) throw new LoginRefused(`robot account ${name} expired at ${robot.expiresAt.toISOString()}`);
    return this.robotPrincipal(robot);
  }

  private robotPrincipal(robot: { id: string; organization: string; name: string; accountId: string; level: 1 | 3 | 7 }): Authenticated {
    return {
      principal: {
        kind: 'robot',
        robotId: robot.id,
        username: `robot$${robot.organization}+${robot.name}`,
        accountId: robot.accountId,
        organization: robot.organization,
        level: robot.level,
      },
      credential: { kind: 'robot', id: robot.id },
      generation: 0,
    };
  }
}

export function userPrincipal(user: UserRecord): Extract<Principal, { kind: 'user' }> {
  return { kind: 'user', userId: user.id, username: user.username, accountId: user.accountId, role: user.role, isAdmin: user.isAdmin };
}
