import { AccessStore, Clock, UserRecord, userPrincipal, UserStore } from '@wharf/auth-core';
import type { AuditLog } from '@wharf/auth-core';
import { evaluateLevel, Level, LevelValue, Visibility } from '@wharf/identity';
import { checkRepositoryName, checkTag, organizationOf } from '@wharf/oci-spec';
import { ForbiddenError, NotFoundError, ValidationError } from '@wharf/util';
import { GrantTable, listGrants, recordAction, removeGrant, setGrant } from './service-helpers';
import { AuditEntry, AuditQuery, AuditSearch, CATEGORIES, Category, RegistryWriter, RepoListQuery, RepoRecord, RepoStore, ShareRecord, ShareStore, TagRecord } from './ports';

export interface RepoView {
  name: string;
  organization: string;
  address: string;
  pullCommand: string;
  description: string;
  category: Category;
  visibility: Visibility;
  tagCount: number;
  size: number;
  downloadCount: number;
  createdAt: string;
  updatedAt: string;
  /** In lists, when the repository is shared with the caller's account. */
  share?: { deadline: string | null; expired: boolean };
}

export interface TagView {
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
  platforms: string[];
  pushedAt: string;
  pushedBy: string | null;
  downloadCount: number;
  pullCommand: string;
}

export interface ShareView {
  account: string;
  /** ISO date-time or `forever`. */
  deadline: string;
  description: string;
  permission: 'pull';
}

const MAX_DESCRIPTION = 30_000;
const MAX_SHARE_DESCRIPTION = 1_000;

/**
 * Repositories, tags, shares and the audit log search (SPEC §5, §10). Permission on a
 * repository is the highest of the organization level (owner, admin, organization grant) and the
 * repository grant; public repositories and active shares give read.
 */
export class RepositoryService {
  constructor(
    private readonly repos: RepoStore,
    private readonly shareStore: ShareStore,
    private readonly auditSearch: AuditSearch,
    private readonly access: AccessStore,
    private readonly users: UserStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly registryHost: string,
    private readonly registry: RegistryWriter,
  ) {}

  async list(user: UserRecord, query: Omit<RepoListQuery, 'viewer' | 'now'>): Promise<{ items: RepoView[]; total: number }> {
    const viewer = { userId: user.id, accountId: user.accountId, isAdmin: user.isAdmin, isOwner: user.role === 'owner' };
    const now = this.clock.now();
    const { items, total } = await this.repos.listRepositories({ ...query, viewer, now });
    return {
      items: items.map((r) => {
        const view = this.view(r);
        // "Shared with me" keeps an ended share in the list, marked expired (SPEC §5).
        if (!r.viewerShare) return view;
        const deadline = r.viewerShare.deadline;
        return { ...view, share: { deadline: deadline?.toISOString() ?? null, expired: deadline !== null && deadline <= now } };
      }),
      total,
    };
  }

  async get(user: UserRecord, name: string): Promise<RepoView> {
    return this.view(await this.requireLevel(user, name, Level.read));
  }

  async update(user: UserRecord, name: string, changes: { description?: unknown; category?: unknown; visibility?: unknown }, clientAddress: string | null): Promise<RepoView> {
    const repo = await this.requireLevel(user, name, Level.edit);
    const update: { description?: string; category?: Category; visibility?: Visibility | null } = {};
    if (changes['description'] !== undefined) {
      if (typeof changes['description'] !== 'string' || changes['description'].length > MAX_DESCRIPTION) {
        throw new ValidationError('description', `description must be a string of at most ${MAX_DESCRIPTION} characters`);
      }
      update.description = changes['description'];
    }
    if (changes['category'] !== undefined) {
      if (!(CATEGORIES as readonly unknown[]).includes(changes['category'])) throw new ValidationError('category', `category must be one of: ${CATEGORIES.join(', ')}`);
      update.category = changes['category'] as Category;
    }
    if (changes['visibility'] !== undefined) {
      if (changes['visibility'] !== 'public' && changes['visibility'] !== 'private') throw new ValidationError('visibility', 'visibility must be "public" or "private"');
      // Publishing (or un-publishing) a repository is a manage decision, as for organizations;
      // edit may change the description and category only.
      await this.requireLevel(user, name, Level.manage);
      update.visibility = changes['visibility'];
    }
    await this.repos.updateRepository(repo.id, update);
    await this.record(user, 'repository.update', name, clientAddress, update);
    return this.view((await this.repos.findRepository(name)) as RepoRecord);
  }

  async delete(user: UserRecord, name: string, clientAddress: string | null): Promise<void> {
    const repo = await this.requireLevel(user, name, Level.manage);
    await this.registry.deleteRepository(repo.name);
    await this.record(user, 'repository.delete', name, clientAddress);
  }

  async tags(user: UserRecord, name: string, q: string | undefined, sort: 'name' | 'time', page: number, pageSize: number): Promise<{ items: TagView[]; total: number }> {
    const repo = await this.requireLevel(user, name, Level.read);
    const { items, total } = await this.repos.listTags(repo.id, q, sort, (page - 1) * pageSize, pageSize);
    return {
      items: items.map((t: TagRecord) => ({
        tag: t.name,
        digest: t.digest,
        mediaType: t.mediaType,
        size: t.size,
        platforms: t.platforms,
        pushedAt: t.updatedAt.toISOString(),
        pushedBy: t.pushedBy,
        downloadCount: t.downloadCount,
        pullCommand: `docker pull ${this.registryHost}/${name}:${t.name}`,
      })),
      total,
    };
  }

  async deleteTags(user: UserRecord, name: string, tags: unknown, clientAddress: string | null): Promise<{ deleted: string[] }> {
    if (!Array.isArray(tags) || tags.length === 0 || tags.length > 1000 || tags.some((t) => typeof t !== 'string' || checkTag(t) !== null)) {
      throw new ValidationError('tags', 'tags must be a list of 1 to 1000 valid tag names');
    }
    const repo = await this.requireLevel(user, name, Level.manage);
    const deleted = await this.registry.deleteTags(repo.name, tags as string[]);
    if (deleted.length === 0) throw new NotFoundError(`none of the tags exist in ${name}`);
    await this.record(user, 'tag.delete', name, clientAddress, { tags: deleted });
    return { deleted };
  }

  async share(user: UserRecord, name: string, input: { account?: unknown; deadline?: unknown; description?: unknown; permission?: unknown }, clientAddress: string | null): Promise<ShareView> {
    const repo = await this.requireLevel(user, name, Level.manage);
    if (typeof input['account'] !== 'string') throw new ValidationError('account', 'account is required');
    const account = await this.shareStore.findAccountByName(input['account']);
    if (!account) throw new ValidationError('account', `account ${input['account'].slice(0, 80)} does not exist`);
    if (account.id === repo.organization?.accountId) throw new ValidationError('account', 'a repository cannot be shared with its own account');
    if ((repo.visibility ?? repo.organization?.visibility) === 'public' || repo.organization?.visibility === 'public') {
      throw new ValidationError('repository', 'public repositories need no sharing: every user can already pull them');
    }
    const rawDeadline = input['deadline'];
    let deadline: Date | null;
    if (rawDeadline === 'forever') deadline = null;
    else if (typeof rawDeadline === 'string' && !Number.isNaN(Date.parse(rawDeadline))) {
      deadline = new Date(rawDeadline);
      if (deadline.getTime() <= this.clock.now().getTime()) throw new ValidationError('deadline', 'deadline must be in the future');
    } else throw new ValidationError('deadline', 'deadline must be an ISO date or "forever"');
    const description = input['description'] ?? '';
    if (typeof description !== 'string' || description.length > MAX_SHARE_DESCRIPTION) {
      throw new ValidationError('description', `description must be a string of at most ${MAX_SHARE_DESCRIPTION} characters`);
    }
    if (input['permission'] !== undefined && input['permission'] !== 'pull') throw new ValidationError('permission', 'permission can only be "pull"');
    await this.shareStore.upsertShare(repo.id, account.id, deadline, description, user.id);
    await this.record(user, 'share.create', name, clientAddress, { account: input['account'], deadline: deadline?.toISOString() ?? 'forever' });
    return { account: input['account'], deadline: deadline?.toISOString() ?? 'forever', description, permission: 'pull' as const };
  }

  async shares(user: UserRecord, name: string): Promise<{ items: (ShareView & { expired: boolean; createdAt: string })[]; total: number }> {
    const repo = await this.requireLevel(user, name, Level.manage);
    const now = this.clock.now().getTime();
    const items = (await this.shareStore.listShares(repo.id)).map((s: ShareRecord) => ({
      account: s.accountName,
      deadline: s.deadline?.toISOString() ?? 'forever',
      description: s.description,
      permission: 'pull' as const,
      expired: s.deadline !== null && s.deadline.getTime() <= now,
      createdAt: s.createdAt.toISOString(),
    }));
    return { items, total: items.length };
  }

  async unshare(user: UserRecord, name: string, accountName: string, clientAddress: string | null): Promise<void> {
    const repo = await this.requireLevel(user, name, Level.manage);
    const account = await this.shareStore.findAccountByName(accountName);
    if (!account || !(await this.shareStore.deleteShare(repo.id, account.id))) throw new NotFoundError(`${name} is not shared with ${accountName}`);
    await this.record(user, 'share.delete', name, clientAddress, { account: accountName });
  }

  async members(user: UserRecord, name: string): Promise<{ items: { username: string; level: string }[]; total: number }> {
    const repo = await this.requireLevel(user, name, Level.read);
    return listGrants(this.memberGrants(repo.id));
  }

  async setMember(user: UserRecord, name: string, username: string, level: unknown, clientAddress: string | null): Promise<{ username: string; level: string }> {
    const repo = await this.requireLevel(user, name, Level.manage);
    const granted = await setGrant(this.users, this.memberGrants(repo.id), username, level);
    await this.record(user, 'repository.member.set', `${name}/${username}`, clientAddress, { level });
    return granted;
  }

  async removeMember(user: UserRecord, name: string, username: string, clientAddress: string | null): Promise<void> {
    const repo = await this.requireLevel(user, name, Level.manage);
    await removeGrant(this.users, this.memberGrants(repo.id), username, `${username} has no grant on ${name}`);
    await this.record(user, 'repository.member.remove', `${name}/${username}`, clientAddress);
  }

  async searchAudit(user: UserRecord, query: Omit<AuditQuery, 'accountId'>): Promise<{ items: AuditEntry[]; total: number }> {
    if (!user.isAdmin && user.role !== 'owner') throw new ForbiddenError('only account owners and system administrators read the audit log');
    return this.auditSearch.searchAudit({ ...query, accountId: user.isAdmin ? null : user.accountId });
  }

  /** Throws unless `user` may manage the repository (NotFound when they may not even see it). Other services' gate. */
  async requireManage(user: UserRecord, name: string): Promise<void> {
    await this.requireLevel(user, name, Level.manage);
  }

  // ---- internals ------------------------------------------------------------------------------

  private async requireLevel(user: UserRecord, name: string, needed: LevelValue): Promise<RepoRecord> {
    const problem = checkRepositoryName(name);
    if (problem) throw new ValidationError('repository', problem);
    const repo = await this.repos.findRepository(name);
    if (!repo) throw new NotFoundError(`repository ${name} not found`);
    const level = await this.levelOf(user, repo);
    if ((level & needed) === needed) return repo;
    if (level === 0) throw new NotFoundError(`repository ${name} not found`);
    throw new ForbiddenError(`this needs ${needed === Level.manage ? 'manage' : needed === Level.edit ? 'edit' : 'read'} permission on ${name}`);
  }

  /** The one permission function (SPEC §2), fed by the same facts the token service uses. */
  private async levelOf(user: UserRecord, repo: RepoRecord): Promise<number> {
    const principal = userPrincipal(user);
    const facts = await this.access.repositoryFacts(principal, repo.name);
    return evaluateLevel(principal, organizationOf(repo.name), facts, { now: this.clock.now(), anonymousPull: true });
  }

  private view(r: RepoRecord): RepoView {
    const address = `${this.registryHost}/${r.name}`;
    return {
      name: r.name,
      organization: r.name.slice(0, r.name.indexOf('/')),
      address,
      pullCommand: `docker pull ${address}:latest`,
      description: r.description,
      category: r.category,
      visibility: r.visibility ?? r.organization?.visibility ?? 'private',
      tagCount: r.tagCount,
      size: r.size,
      downloadCount: r.downloadCount,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }

  private memberGrants(id: string): GrantTable {
    return {
      list: () => this.repos.listRepoMembers(id),
      set: (userId, level) => this.repos.setRepoMember(id, userId, level),
      remove: (userId) => this.repos.removeRepoMember(id, userId),
    };
  }

  private record(user: UserRecord, action: string, resource: string, clientAddress: string | null, detail?: object): Promise<void> {
    return recordAction(this.audit, user, action, resource, clientAddress, detail);
  }
}
