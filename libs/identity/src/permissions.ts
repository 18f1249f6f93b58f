/**
 * Permission evaluation (SPEC §2): the one function that decides which registry actions a caller
 * gets on a repository. Pure: the caller loads the facts, passes the clock's `now`, and gets the
 * granted subset of what was asked, plus a human reason when everything was refused.
 */
export type RegistryAction = 'pull' | 'push' | 'delete';

/** Permission levels: read (1) ⊂ edit (3) ⊂ manage (7), as bit masks. */
export const Level = { read: 1, edit: 3, manage: 7 } as const;
export type LevelName = keyof typeof Level;
export type LevelValue = (typeof Level)[LevelName];

export function levelFromName(name: string): LevelValue | null {
  return (Level as Record<string, LevelValue>)[name] ?? null;
}

export function levelName(value: number): LevelName | null {
  return (Object.entries(Level).find(([, v]) => v === value)?.[0] as LevelName | undefined) ?? null;
}

/** Registry actions a level allows: read → pull; edit → + push; manage → + delete. */
export function actionsOfLevel(level: number | null): RegistryAction[] {
  if (level === null) return [];
  const out: RegistryAction[] = [];
  if (level & 1) out.push('pull');
  if (level & 2) out.push('push');
  if (level & 4) out.push('delete');
  return out;
}

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; username: string; accountId: string; role: 'owner' | 'member'; isAdmin: boolean }
  | { kind: 'robot'; robotId: string; username: string; accountId: string; organization: string; level: LevelValue };

export type Visibility = 'public' | 'private';

/** What the database knows about a repository and the caller's relation to it. */
export interface RepositoryFacts {
  /** `id` binds registry tokens to this organization (not to a later one of the same name). */
  organization: { id?: string; accountId: string; visibility: Visibility } | null;
  /** The repository's own visibility; null when it does not exist yet or inherits the organization's. */
  repositoryVisibility: Visibility | null;
  orgGrant: number | null;
  repoGrant: number | null;
  /** Deadlines of shares of this repository with the caller's account (null = forever). */
  shareDeadlines: (Date | null)[];
}

export interface EvaluationOptions {
  now: Date;
  anonymousPull: boolean;
}

export interface Decision {
  granted: RegistryAction[];
  /** Why nothing (or less than asked) was granted, when there is something specific to say. */
  reason?: string;
}

export function evaluateAccess(
  principal: Principal,
  organizationName: string,
  facts: RepositoryFacts,
  requested: readonly RegistryAction[],
  options: EvaluationOptions,
): Decision {
  const allowed = new Set<RegistryAction>(actionsOfLevel(evaluateLevel(principal, organizationName, facts, options)));
  const granted = requested.filter((a, i) => allowed.has(a) && requested.indexOf(a) === i);
  if (granted.length === requested.length) return { granted };
  if (!facts.organization && requested.includes('push') && principal.kind !== 'anonymous') {
    return { granted, reason: `organization ${organizationName} does not exist` };
  }
  return { granted };
}

/**
 * The caller's effective level on a repository (0 = none): what `evaluateAccess` grants as
 * registry actions and what the management API checks for view, edit and manage.
 */
export function evaluateLevel(principal: Principal, org: string, facts: RepositoryFacts, options: EvaluationOptions): number {
  const o = facts.organization;
  // SPEC §2: a public repository, or any repository in a public organization, may be pulled by everyone.
  const publicPull = o !== null && (o.visibility === 'public' || facts.repositoryVisibility === 'public');
  if (principal.kind === 'anonymous') return publicPull && options.anonymousPull ? Level.read : 0;
  if (principal.kind === 'user' && principal.isAdmin) return Level.manage;
  if (!o) return 0;
  let level = 0;
  if (principal.kind === 'robot') {
    if (principal.organization === org && principal.accountId === o.accountId) level = principal.level;
  } else {
    if (principal.role === 'owner' && principal.accountId === o.accountId) level = Level.manage;
    level |= facts.orgGrant ?? 0;
    level |= facts.repoGrant ?? 0;
    if (facts.shareDeadlines.some((d) => d === null || d.getTime() > options.now.getTime())) level |= Level.read;
  }
  if (publicPull) level |= Level.read;
  return level;
}
