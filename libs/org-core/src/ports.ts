import type { LevelValue, Visibility } from '@wharf/identity';

/** What the organization service needs from the database (Postgres: `PgOrgStore`). */
export const ORG_STORE = Symbol('ORG_STORE');

export interface OrgRecord {
  id: string;
  name: string;
  accountId: string;
  visibility: Visibility;
  storageQuotaBytes: number | null;
  createdAt: Date;
}

export interface OrgViewer {
  userId: string;
  accountId: string;
  isAdmin: boolean;
  isOwner: boolean;
}

export interface MemberRecord {
  userId: string;
  username: string;
  level: LevelValue;
}

export interface OrgStore {
  findOrganization(name: string): Promise<OrgRecord | null>;
  /** Organizations the viewer may see (own account's as owner, granted ones, public; all for admins), by name. */
  listOrganizations(viewer: OrgViewer, offset: number, limit: number): Promise<{ items: OrgRecord[]; total: number }>;
  countRepositories(organization: string): Promise<number>;
  /** Bytes of the distinct blobs the organization's repositories hold (each counted once). */
  usedBytes(organization: string): Promise<number>;
  /** Deletes the organization and, with `cascade`, every repository in it (in one transaction). */
  deleteOrganization(organization: string): Promise<void>;
  updateOrganization(organization: string, changes: { visibility?: Visibility; storageQuotaBytes?: number | null }): Promise<void>;

  memberLevel(organizationId: string, userId: string): Promise<LevelValue | null>;
  listMembers(organizationId: string): Promise<MemberRecord[]>;
  setMember(organizationId: string, userId: string, level: LevelValue): Promise<void>;
  removeMember(organizationId: string, userId: string): Promise<boolean>;
}

export const REPO_STORE = Symbol('REPO_STORE');

export const CATEGORIES = ['app-server', 'linux', 'windows', 'arm', 'framework-app', 'database', 'language', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface RepoRecord {
  id: string;
  name: string;
  organization: { id: string; accountId: string; visibility: Visibility } | null;
  visibility: Visibility | null;
  description: string;
  category: Category;
  downloadCount: number;
  tagCount: number;
  /** Bytes of the distinct blobs the repository holds. */
  size: number;
  createdAt: Date;
  updatedAt: Date;
  /** In lists: the share to the viewer's account, if any (null deadline: permanent). */
  viewerShare?: { deadline: Date | null } | null;
}

export interface RepoListQuery {
  viewer: OrgViewer;
  /** Shares end at their deadline by this clock (the service's, so tests can move it). */
  now: Date;
  org?: string;
  q?: string;
  category?: Category;
  visibility?: Visibility;
  filter?: 'mine' | 'shared-with-me' | 'shared-by-me';
  sort: 'name' | 'updated' | 'downloads';
  offset: number;
  limit: number;
}

export interface TagRecord {
  name: string;
  digest: string;
  mediaType: string;
  size: number;
  updatedAt: Date;
  pushedBy: string | null;
  downloadCount: number;
  /** `os/architecture[/variant]` of each child, for an index; empty for an image manifest. */
  platforms: string[];
}

export interface ShareRecord {
  accountId: string;
  accountName: string;
  deadline: Date | null;
  description: string;
  createdAt: Date;
}

/** One audit log entry as the API shows it. */
export interface AuditEntry {
  id: string;
  /** ISO date-time. */
  at: string;
  actor: string;
  accountId: string | null;
  action: string;
  resource: string;
  result: string;
  clientAddress: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  from?: Date;
  to?: Date;
  actor?: string;
  action?: string;
  resource?: string;
  /** Non-admins see their own account's events only. */
  accountId: string | null;
  offset: number;
  limit: number;
}

export interface RepoStore {
  findRepository(name: string): Promise<RepoRecord | null>;
  listRepositories(query: RepoListQuery): Promise<{ items: RepoRecord[]; total: number }>;
  updateRepository(id: string, changes: { description?: string; category?: Category; visibility?: Visibility | null }): Promise<void>;
  setRepoMember(repositoryId: string, userId: string, level: LevelValue): Promise<void>;
  removeRepoMember(repositoryId: string, userId: string): Promise<boolean>;
  listRepoMembers(repositoryId: string): Promise<{ username: string; level: LevelValue }[]>;
  listTags(repositoryId: string, q: string | undefined, sort: 'name' | 'time', offset: number, limit: number): Promise<{ items: TagRecord[]; total: number }>;
}

export const SHARE_STORE = Symbol('SHARE_STORE');

/** Shares of repositories with other accounts (pull until a deadline, or forever). */
export interface ShareStore {
  listShares(repositoryId: string): Promise<ShareRecord[]>;
  upsertShare(repositoryId: string, accountId: string, deadline: Date | null, description: string, createdBy: string): Promise<void>;
  deleteShare(repositoryId: string, accountId: string): Promise<boolean>;
  /** The account a share names. */
  findAccountByName(name: string): Promise<{ id: string } | null>;
}

export const AUDIT_SEARCH = Symbol('AUDIT_SEARCH');

/** Reading the audit log (writing it is auth-core's AuditLog). */
export interface AuditSearch {
  searchAudit(query: AuditQuery): Promise<{ items: AuditEntry[]; total: number }>;
}

export const ACCOUNT_STORE = Symbol('ACCOUNT_STORE');

export interface AccountRecord {
  id: string;
  name: string;
  orgQuota: number | null;
  enabled: boolean;
  createdAt: Date;
  userCount: number;
}

export interface UserView {
  id: string;
  accountId: string;
  username: string;
  role: 'owner' | 'member';
  isAdmin: boolean;
  enabled: boolean;
  createdAt: Date;
}

export interface AccountStore {
  listAccounts(offset: number, limit: number): Promise<{ items: AccountRecord[]; total: number }>;
  findAccount(id: string): Promise<AccountRecord | null>;
  updateAccount(id: string, changes: { orgQuota?: number | null; enabled?: boolean }): Promise<void>;
  listUsers(accountId: string): Promise<UserView[]>;
  findUser(id: string): Promise<UserView | null>;
  updateUser(id: string, changes: { enabled?: boolean; role?: 'owner' | 'member'; passwordHash?: string }): Promise<void>;
}

export const REGISTRY_WRITER = Symbol('REGISTRY_WRITER');

/**
 * What the management API changes in the registry's tables goes through the registry
 * (registry-core), their one writer: it deletes, writes the registry events, and makes every
 * replica's cache forget the names. Each call resolves once this replica forgot them and the
 * others were told.
 */
export interface RegistryWriter {
  /** Deletes the repository with its tags and manifests; false when there was none. */
  deleteRepository(name: string): Promise<boolean>;
  /** Deletes those tags of the repository; returns the ones that were there, sorted. */
  deleteTags(name: string, tags: string[]): Promise<string[]>;
  /** An organization and its repositories were deleted (with the organization's row). */
  organizationRemoved(name: string): Promise<void>;
  /** These repositories changed behind the caches (garbage collection): every replica forgets them. */
  forgetRepositories(names: string[]): Promise<void>;
}
