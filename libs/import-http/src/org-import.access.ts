import { AccessStore, UserStore, userPrincipal } from '@wharf/auth-core';
import { evaluateLevel, Level } from '@wharf/identity';
import type { ImportAccess } from '@wharf/import-core';
import { ForbiddenError, NotFoundError } from '@wharf/util';

/** A repository name no repository can have: its facts are the organization's alone. */
const ORG_ONLY = '-';

/**
 * ImportAccess by the permission rules of the registry: an upload into an organization needs
 * push there (edit or manage on the organization, or its owner or an administrator); reading
 * someone else's upload needs manage.
 */
export class OrgImportAccess implements ImportAccess {
  constructor(
    private readonly users: UserStore,
    private readonly access: AccessStore,
  ) {}

  async requireUploader(userId: string, organization: string): Promise<void> {
    const level = await this.level(userId, organization);
    if (level === null) throw new NotFoundError(`organization ${organization} not found`);
    if ((level & Level.edit) !== Level.edit) throw new ForbiddenError(`uploading images into ${organization} needs push (edit) permission on the organization`);
  }

  async canManage(userId: string, organization: string): Promise<boolean> {
    const level = await this.level(userId, organization);
    return level !== null && (level & Level.manage) === Level.manage;
  }

  /** The user's level on the organization; null when it does not exist or they may not see it. */
  private async level(userId: string, organization: string): Promise<number | null> {
    const user = await this.users.findUserById(userId);
    if (!user) return null;
    const principal = userPrincipal(user);
    const facts = await this.access.repositoryFacts(principal, `${organization}/${ORG_ONLY}`);
    if (!facts.organization) return null;
    const level = evaluateLevel(principal, organization, { ...facts, repoGrant: null, shareDeadlines: [] }, { now: new Date(), anonymousPull: false });
    return level === 0 ? null : level;
  }
}
