import { randomUUID } from 'node:crypto';
import type { AccessStore, AuditLog, RobotStore, RobotView, UserRecord, UserStore } from '@wharf/auth-core';
import { Level, levelName, LevelValue, randomToken, robotUsername, sha256Hex, Visibility } from '@wharf/identity';
import { checkOrganizationName } from '@wharf/oci-spec';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '@wharf/util';
import { auditEntry, GrantTable, listGrants, parseLevel, recordAction, removeGrant, setGrant } from './service-helpers';
import { OrgRecord, OrgStore, RegistryWriter } from './ports';

export interface OrgView {
  name: string;
  visibility: Visibility;
  accountId: string;
  storageQuotaBytes: number | null;
  createdAt: string;
  repositoryCount: number;
  /** The caller's level on it: read, edit, manage, or null (public only). */
  myLevel: string | null;
}

export interface RobotOut {
  name: string;
  username: string;
  level: string;
  expiresAt: string | null;
  enabled: boolean;
  createdAt: string;
}

export interface CreatedRobot {
  name: string;
  username: string;
  secret: string;
  level: string;
  expiresAt: string | null;
}

const ROBOT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * Organizations (SPEC §5): create with the name rules, global uniqueness and the account quota;
 * list and view what the caller may see; visibility; delete (refused while it has repositories
 * unless cascading); member grants; robot accounts. Every change is audited.
 */
export class OrganizationService {
  constructor(
    private readonly orgs: OrgStore,
    private readonly access: AccessStore,
    private readonly users: UserStore,
    private readonly robotStore: RobotStore,
    private readonly audit: AuditLog,
    private readonly defaultQuota: number,
    private readonly registry: RegistryWriter,
  ) {}

  async create(user: UserRecord, name: unknown, visibility: unknown, clientAddress: string | null): Promise<OrgView> {
    if (typeof name !== 'string') throw new ValidationError('name', 'name is required and must be a string');
    const problem = checkOrganizationName(name);
    if (problem) throw new ValidationError('name', problem);
    const vis = parseVisibility(visibility ?? 'private');
    const created = await this.access.createOrganization({
      name,
      accountId: user.accountId,
      defaultQuota: this.defaultQuota,
      visibility: vis,
      // A member who creates an organization manages it (an owner already manages the account's).
      managerUserId: user.role === 'member' && !user.isAdmin ? user.id : undefined,
      audit: auditEntry(user, 'organization.create', name, clientAddress, { visibility: vis }),
    });
    if (created.kind === 'exists') throw new ConflictError(`organization already exists: ${name}`);
    if (created.kind === 'quota') {
      throw new ForbiddenError(`your account has reached its quota of ${created.quota} organizations; ask a system administrator to raise it`);
    }
    return this.view(user, (await this.orgs.findOrganization(name)) as OrgRecord);
  }

  async list(user: UserRecord, page: number, pageSize: number): Promise<{ items: OrgView[]; total: number }> {
    const { items, total } = await this.orgs.listOrganizations(viewer(user), (page - 1) * pageSize, pageSize);
    return { items: await Promise.all(items.map((o) => this.view(user, o))), total };
  }

  async get(user: UserRecord, name: string): Promise<OrgView> {
    const org = await this.require(name);
    const level = await this.levelOf(user, org);
    if (level === 0 && org.visibility !== 'public') throw new NotFoundError(`organization ${name} not found`);
    return this.view(user, org, level);
  }

  async update(user: UserRecord, name: string, changes: { visibility?: unknown; storageQuotaBytes?: unknown }, clientAddress: string | null): Promise<OrgView> {
    await this.requireLevel(user, name, Level.manage);
    const update: { visibility?: Visibility; storageQuotaBytes?: number | null } = {};
    if (changes.visibility !== undefined) update.visibility = parseVisibility(changes.visibility);
    if (changes.storageQuotaBytes !== undefined) {
      if (!user.isAdmin) throw new ForbiddenError('only a system administrator sets storage quotas');
      const q = changes.storageQuotaBytes;
      if (q !== null && (typeof q !== 'number' || !Number.isSafeInteger(q) || q < 0)) {
        throw new ValidationError('storageQuotaBytes', 'storageQuotaBytes must be a non-negative integer or null');
      }
      update.storageQuotaBytes = q as number | null;
    }
    await this.orgs.updateOrganization(name, update);
    await this.record(user, 'organization.update', name, clientAddress, update);
    return this.view(user, (await this.orgs.findOrganization(name)) as OrgRecord);
  }

  async delete(user: UserRecord, name: string, cascade: boolean, clientAddress: string | null): Promise<void> {
    await this.requireLevel(user, name, Level.manage);
    const count = await this.orgs.countRepositories(name);
    if (count > 0 && !cascade) {
      throw new ConflictError(`organization ${name} has ${count} repositories; delete them first or delete with cascade=true`);
    }
    await this.orgs.deleteOrganization(name);
    await this.registry.organizationRemoved(name);
    await this.record(user, 'organization.delete', name, clientAddress, { cascade, repositories: count });
  }

  async usage(user: UserRecord, name: string): Promise<{ organization: string; storageQuotaBytes: number | null; usedBytes: number; repositoryCount: number }> {
    const org = await this.requireLevel(user, name, Level.read);
    return {
      organization: name,
      storageQuotaBytes: org.storageQuotaBytes,
      usedBytes: await this.orgs.usedBytes(name),
      repositoryCount: await this.orgs.countRepositories(name),
    };
  }

  async members(user: UserRecord, name: string): Promise<{ items: { username: string; level: string }[]; total: number }> {
    const org = await this.requireLevel(user, name, Level.read);
    return listGrants(this.memberGrants(org.id));
  }

  async setMember(user: UserRecord, name: string, username: string, level: unknown, clientAddress: string | null): Promise<{ username: string; level: string }> {
    const org = await this.requireLevel(user, name, Level.manage);
    const granted = await setGrant(this.users, this.memberGrants(org.id), username, level);
    await this.record(user, 'organization.member.set', `${name}/${username}`, clientAddress, { level });
    return granted;
  }

  async removeMember(user: UserRecord, name: string, username: string, clientAddress: string | null): Promise<void> {
    const org = await this.requireLevel(user, name, Level.manage);
    await removeGrant(this.users, this.memberGrants(org.id), username, `${username} is not a member of ${name}`);
    await this.record(user, 'organization.member.remove', `${name}/${username}`, clientAddress);
  }

  async createRobot(user: UserRecord, name: string, input: { name?: unknown; level?: unknown; expiresAt?: unknown }, clientAddress: string | null): Promise<CreatedRobot> {
    const org = await this.requireLevel(user, name, Level.manage);
    if (typeof input.name !== 'string' || !ROBOT_NAME.test(input.name) || input.name.length > 64) {
      throw new ValidationError('name', 'name must be 1-64 lowercase letters and digits separated by ".", "_" or "-"');
    }
    const level = parseLevel(input.level);
    let expiresAt: Date | null = null;
    if (input.expiresAt !== undefined && input.expiresAt !== null) {
      expiresAt = typeof input.expiresAt === 'string' ? new Date(input.expiresAt) : new Date(NaN);
      if (Number.isNaN(expiresAt.getTime())) throw new ValidationError('expiresAt', 'expiresAt must be an ISO date-time');
      if (expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt', 'expiresAt must be in the future');
    }
    if (await this.robotStore.findRobot(name, input.name)) throw new ConflictError(`robot account ${input.name} already exists in ${name}`);
    const secret = randomToken('wr_');
    await this.robotStore.createRobot({ id: randomUUID(), organization: org.name, name: input.name, secretHash: sha256Hex(secret), level: level as LevelValue, expiresAt });
    await this.record(user, 'organization.robot.create', `${name}/${input.name}`, clientAddress, { level: input.level });
    return { name: input.name, username: robotUsername(name, input.name), secret, level: input.level as string, expiresAt: expiresAt?.toISOString() ?? null };
  }

  async robots(user: UserRecord, name: string): Promise<{ items: RobotOut[]; total: number }> {
    const org = await this.requireLevel(user, name, Level.manage);
    const items = (await this.robotStore.listRobots(org.id)).map((r: RobotView) => ({
      name: r.name,
      username: robotUsername(name, r.name),
      level: levelName(r.level) as string,
      expiresAt: r.expiresAt?.toISOString() ?? null,
      enabled: r.enabled,
      createdAt: r.createdAt.toISOString(),
    }));
    return { items, total: items.length };
  }

  async setRobotEnabled(user: UserRecord, name: string, robot: string, enabled: unknown, clientAddress: string | null): Promise<void> {
    const org = await this.requireLevel(user, name, Level.manage);
    if (typeof enabled !== 'boolean') throw new ValidationError('enabled', 'enabled must be true or false');
    if (!(await this.robotStore.setRobotEnabled(org.id, robot, enabled))) throw new NotFoundError(`robot account ${robot} not found in ${name}`);
    await this.record(user, enabled ? 'organization.robot.enable' : 'organization.robot.disable', `${name}/${robot}`, clientAddress);
  }

  async deleteRobot(user: UserRecord, name: string, robot: string, clientAddress: string | null): Promise<void> {
    const org = await this.requireLevel(user, name, Level.manage);
    if (!(await this.robotStore.deleteRobot(org.id, robot))) throw new NotFoundError(`robot account ${robot} not found in ${name}`);
    await this.record(user, 'organization.robot.delete', `${name}/${robot}`, clientAddress);
  }

  // ---- internals ------------------------------------------------------------------------------

  private async require(name: string): Promise<OrgRecord> {
    const org = await this.orgs.findOrganization(name);
    if (!org) throw new NotFoundError(`organization ${name.slice(0, 80)} not found`);
    return org;
  }

  /** The organization when the user has at least `needed`; 404 when they may not even see it. */
  private async requireLevel(user: UserRecord, name: string, needed: LevelValue): Promise<OrgRecord> {
    const org = await this.require(name);
    const level = await this.levelOf(user, org);
    if ((level & needed) === needed) return org;
    if (level === 0 && org.visibility !== 'public') throw new NotFoundError(`organization ${name} not found`);
    throw new ForbiddenError(`this needs ${levelName(needed)} permission on organization ${name}`);
  }

  private async levelOf(user: UserRecord, org: OrgRecord): Promise<number> {
    if (user.isAdmin || (user.role === 'owner' && user.accountId === org.accountId)) return Level.manage;
    return (await this.orgs.memberLevel(org.id, user.id)) ?? 0;
  }

  private async view(user: UserRecord, org: OrgRecord, known?: number): Promise<OrgView> {
    const level = known ?? (await this.levelOf(user, org));
    return {
      name: org.name,
      visibility: org.visibility,
      accountId: org.accountId,
      storageQuotaBytes: org.storageQuotaBytes,
      createdAt: org.createdAt.toISOString(),
      repositoryCount: await this.orgs.countRepositories(org.name),
      myLevel: levelName(level),
    };
  }

  private memberGrants(id: string): GrantTable {
    return {
      list: () => this.orgs.listMembers(id),
      set: (userId, level) => this.orgs.setMember(id, userId, level),
      remove: (userId) => this.orgs.removeMember(id, userId),
    };
  }

  private record(user: UserRecord, action: string, resource: string, clientAddress: string | null, detail?: object): Promise<void> {
    return recordAction(this.audit, user, action, resource, clientAddress, detail);
  }
}

function parseVisibility(v: unknown): Visibility {
  if (v === 'public' || v === 'private') return v;
  throw new ValidationError('visibility', 'visibility must be "public" or "private"');
}

function viewer(user: UserRecord) {
  return { userId: user.id, accountId: user.accountId, isAdmin: user.isAdmin, isOwner: user.role === 'owner' };
}
