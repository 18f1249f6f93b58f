import type { LevelValue, Principal, RepositoryFacts, Visibility } from '@wharf/identity';

/**
 * What the auth services need from the outside world. Postgres implements the stores
 * (`@wharf/database`), Redis the rate limiter; the clock is injectable so expiry is testable
 * without sleeping.
 */
export const USER_STORE = Symbol('USER_STORE');
export const CREDENTIAL_STORE = Symbol('CREDENTIAL_STORE');
export const ROBOT_STORE = Symbol('ROBOT_STORE');
export const ACCESS_STORE = Symbol('ACCESS_STORE');
export const SIGNING_KEY_STORE = Symbol('SIGNING_KEY_STORE');
export const AUDIT_LOG = Symbol('AUDIT_LOG');
export const LOGIN_RATE_LIMITER = Symbol('LOGIN_RATE_LIMITER');
export const CLOCK = Symbol('CLOCK');
export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface UserRecord {
  id: string;
  accountId: string;
  username: string;
  passwordHash: string;
  role: 'owner' | 'member';
  isAdmin: boolean;
  /** False when the user or its account is disabled. */
  enabled: boolean;
  /** Moves on when the password changes or the user or its account is disabled: older API and refresh tokens stop working. */
  generation: number;
}

export interface RobotRecord {
  id: string;
  organization: string;
  accountId: string;
  name: string;
  secretHash: string;
  level: LevelValue;
  expiresAt: Date | null;
  enabled: boolean;
}

export interface AccessKeyRecord {
  accessKey: string;
  userId: string;
  secretSealed: string;
  enabled: boolean;
  createdAt: Date;
}

export interface SigningKeyRecord {
  kid: string;
  algorithm: 'RS256';
  privateKeySealed: string;
  publicJwk: Record<string, unknown>;
  createdAt: Date;
  retiredAt: Date | null;
}

export type OrgCreation = { kind: 'created' } | { kind: 'exists' } | { kind: 'quota'; quota: number };

/** An organization to create, with what must be written with it or not at all. */
export interface NewOrganization {
  name: string;
  accountId: string;
  /** The account's organization quota when the account sets none. */
  defaultQuota: number;
  visibility?: Visibility;
  /** A user given manage on it (a member who creates an organization manages it). */
  managerUserId?: string;
  /** Its audit entry. */
  audit: AuditEvent;
}

/** Accounts and their users. */
export interface UserStore {
  findUserByUsername(username: string): Promise<UserRecord | null>;
  findUserById(id: string): Promise<UserRecord | null>;
  createAccount(input: { id: string; name: string; orgQuota?: number | null }): Promise<void>;
  createUser(input: { id: string; accountId: string; username: string; passwordHash: string; role: 'owner' | 'member'; isAdmin?: boolean }): Promise<void>;
  setUserEnabled(userId: string, enabled: boolean): Promise<void>;
  /** Creates the `system` account and an administrator in it unless any administrator exists (race-safe). */
  createAdminIfNone(input: { accountId: string; userId: string; username: string; passwordHash: string }): Promise<boolean>;
}

/** A user's own login credentials besides the password: temporary login tokens and access keys. */
export interface CredentialStore {
  addTemporaryToken(tokenHash: string, userId: string, expiresAt: Date): Promise<void>;
  findTemporaryToken(tokenHash: string): Promise<{ userId: string; expiresAt: Date } | null>;

  createAccessKey(accessKey: string, userId: string, secretSealed: string): Promise<void>;
  findAccessKey(accessKey: string): Promise<AccessKeyRecord | null>;
  listAccessKeys(userId: string): Promise<AccessKeyRecord[]>;
  /** False when the key does not exist or belongs to someone else. */
  setAccessKeyEnabled(accessKey: string, userId: string, enabled: boolean): Promise<boolean>;
  deleteAccessKey(accessKey: string, userId: string): Promise<boolean>;
}

/** A robot as the organization's robot list shows it. */
export interface RobotView {
  id: string;
  name: string;
  level: LevelValue;
  expiresAt: Date | null;
  enabled: boolean;
  createdAt: Date;
}

/** Robot accounts of organizations. */
export interface RobotStore {
  findRobot(organization: string, name: string): Promise<RobotRecord | null>;
  findRobotById(id: string): Promise<RobotRecord | null>;
  createRobot(input: { id: string; organization: string; name: string; secretHash: string; level: LevelValue; expiresAt: Date | null }): Promise<void>;
  listRobots(organizationId: string): Promise<RobotView[]>;
  setRobotEnabled(organizationId: string, name: string, enabled: boolean): Promise<boolean>;
  deleteRobot(organizationId: string, name: string): Promise<boolean>;
}

/**
 * Organizations as access control sees them: the facts one permission decision needs, and the
 * one way an organization comes to exist (the management API, or a push to a free name).
 */
export interface AccessStore {
  /** Facts for evaluating `principal` on `repository` (whose organization is its first component). */
  repositoryFacts(principal: Principal, repository: string): Promise<RepositoryFacts>;
  /**
   * Creates the organization when the name is free and the account is under its quota, with its
   * manager grant and audit entry in the same transaction: all of them or none.
   */
  createOrganization(org: NewOrganization): Promise<OrgCreation>;
}

/** The token signing keys shared by every auth replica. */
export interface SigningKeyStore {
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  addSigningKey(key: SigningKeyRecord): Promise<void>;
  retireSigningKeys(olderThan: Date, except: string): Promise<void>;
}

export interface AuditEvent {
  actor: string | null;
  accountId: string | null;
  action: string;
  resource: string | null;
  result: 'success' | 'failure';
  clientAddress: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

export interface LoginRateLimiter {
  /** Seconds until `key` may try again, or 0 when it may try now. */
  blockedFor(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** Clears every key that starts with `prefix`; returns how many were cleared. */
  resetPrefix(prefix: string): Promise<number>;
}

export interface AuthSettings {
  region: string;
  /** The registry's service name (`aud` of registry tokens). */
  service: string;
  issuer: string;
  /** Public base URL of the registry/auth host, for realms and login commands. */
  publicUrl: string;
  tokenTtlSeconds: number;
  apiTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  anonymousPull: boolean;
  orgQuota: number;
  secretKey: string;
}
