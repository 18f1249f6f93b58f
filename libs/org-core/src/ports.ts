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

export interface RobotView {
  id: string;
  name: string;
  level: LevelValue;
  expiresAt: Date | null;
  enabled: boolean;
  createdAt: Date;
}

export interface OrgStore {
  findOrganization(name: string): Promise<OrgRecord | null>;
  /** Organizations the viewer may see (own account's as owner, granted ones, public; all for admins), by name. */
  listOrganizations(viewer: OrgViewer, offset: number, limit: number): Promise<{ items: OrgRecord[]; total: number }>;
  countRepositories(organization: string): Promise<number>;
  /** Deletes the organization and, with `cascade`, every repository in it (in one transaction). */
  deleteOrganization(organization: string): Promise<void>;
  updateOrganization(organization: string, changes: { visibility?: Visibility; storageQuotaBytes?: number | null }): Promise<void>;

  memberLevel(organizationId: string, userId: string): Promise<LevelValue | null>;
  listMembers(organizationId: string): Promise<MemberRecord[]>;
  setMember(organizationId: string, userId: string, level: LevelValue): Promise<void>;
  removeMember(organizationId: string, userId: string): Promise<boolean>;

  listRobots(organizationId: string): Promise<RobotView[]>;
  setRobotEnabled(organizationId: string, name: string, enabled: boolean): Promise<boolean>;
  deleteRobot(organizationId: string, name: string): Promise<boolean>;
}
