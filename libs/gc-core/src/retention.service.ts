import type { AuditLog, UserRecord } from '@wharf/auth-core';
import type { RegistryWriter } from '@wharf/org-core';
import { NotFoundError, ValidationError } from '@wharf/util';
import { RepositoryGate, RetentionPolicy, RetentionRules, RetentionRun, RetentionStore } from './retention.ports';

/** A policy and a run as the API shows them (times as ISO strings). */
export type RetentionPolicyOut = Omit<RetentionPolicy, 'updatedAt'> & { updatedAt: string };
export type RetentionRunOut = Omit<RetentionRun, 'createdAt'> & { createdAt: string };

const MAX_EXCEPTIONS = 20;
const MAX_PATTERN = 200;
const DAY_MS = 24 * 3600 * 1000;

const policyOut = (p: RetentionPolicy): RetentionPolicyOut => ({
  repository: p.repository,
  keepLast: p.keepLast,
  keepDays: p.keepDays,
  exceptions: p.exceptions,
  daily: p.daily,
  updatedBy: p.updatedBy,
  updatedAt: p.updatedAt.toISOString(),
});
const runOut = (r: RetentionRun): RetentionRunOut => ({ ...r, createdAt: r.createdAt.toISOString() });

/**
 * Which tags a policy removes: every tag that no rule keeps. Kept: the newest `keepLast` by push
 * time (ties by name), those pushed within `keepDays`, and those an exception matches whole.
 */
export function tagsToRemove(tags: { name: string; pushedAt: Date }[], rules: RetentionRules, now: Date): string[] {
  const newestFirst = [...tags].sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime() || (a.name < b.name ? -1 : 1));
  const exceptions = rules.exceptions.map((e) => new RegExp(`^(?:${e})$`));
  const since = rules.keepDays === null ? null : now.getTime() - rules.keepDays * DAY_MS;
  return newestFirst
    .filter((t, i) => {
      if (rules.keepLast !== null && i < rules.keepLast) return false;
      if (since !== null && t.pushedAt.getTime() >= since) return false;
      return !exceptions.some((re) => re.test(t.name));
    })
    .map((t) => t.name)
    .sort();
}

/**
 * Tag retention per repository (SPEC §9): a repository manager sets the policy and runs it (or a
 * dry run); the gc worker runs daily policies on the schedule. Retention removes tags through
 * the registry (its tables' one writer, which tells every replica); garbage collection later
 * frees the bytes no tag keeps. Every run is kept in the repository's history and the audit log.
 */
export class RetentionService {
  constructor(
    private readonly store: RetentionStore,
    private readonly gate: RepositoryGate,
    private readonly registry: RegistryWriter,
    private readonly audit: AuditLog,
    private readonly newId: () => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async getPolicy(user: UserRecord, repository: string): Promise<RetentionPolicyOut> {
    await this.gate.requireManage(user, repository);
    const policy = await this.store.findPolicy(repository);
    if (!policy) throw new NotFoundError(`repository ${repository} has no retention policy`);
    return policyOut(policy);
  }

  async setPolicy(user: UserRecord, repository: string, rules: RetentionRules, clientAddress: string | null): Promise<RetentionPolicyOut> {
    await this.gate.requireManage(user, repository);
    checkRules(rules);
    const saved = await this.store.savePolicy(repository, rules, user.username);
    if (!saved) throw new NotFoundError(`repository ${repository} not found`);
    await this.audit.record({
      actor: user.username,
      accountId: user.accountId,
      action: 'retention.policy.set',
      resource: repository,
      result: 'success',
      clientAddress,
      detail: { ...rules },
    });
    return policyOut(saved);
  }

  async run(user: UserRecord, repository: string, dryRun: boolean, clientAddress: string | null): Promise<RetentionRunOut> {
    await this.gate.requireManage(user, repository);
    return runOut(await this.apply(repository, dryRun, 'api', user, clientAddress));
  }

  async history(user: UserRecord, repository: string, offset: number, limit: number): Promise<{ items: RetentionRunOut[]; total: number }> {
    await this.gate.requireManage(user, repository);
    const { items, total } = await this.store.listRuns(repository, offset, limit);
    return { items: items.map(runOut), total };
  }

  /** The schedule's run: every daily policy, one repository after another; a failure is reported and the rest go on. */
  async runDaily(): Promise<{ repositories: number; removed: number; failures: string[] }> {
    const result = { repositories: 0, removed: 0, failures: [] as string[] };
    for (const repository of await this.store.dailyRepositories()) {
      try {
        const run = await this.apply(repository, false, 'schedule', null, null);
        result.repositories++;
        result.removed += run.removed.length;
      } catch (err) {
        result.failures.push(`${repository}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return result;
  }

  private async apply(repository: string, dryRun: boolean, trigger: 'api' | 'schedule', user: UserRecord | null, clientAddress: string | null): Promise<RetentionRun> {
    const policy = await this.store.findPolicy(repository);
    if (!policy) throw new NotFoundError(`repository ${repository} has no retention policy`);
    const tags = await this.store.tags(repository);
    const chosen = tagsToRemove(tags, policy, this.now());
    // Deleted through the registry: what was really there (a tag may have gone meanwhile).
    const removed = dryRun || chosen.length === 0 ? chosen : await this.registry.deleteTags(repository, chosen);
    const run = await this.store.recordRun({
      id: this.newId(),
      repository,
      trigger,
      requestedBy: user?.username ?? null,
      dryRun,
      removed,
      kept: tags.length - chosen.length,
    });
    await this.audit.record({
      actor: user?.username ?? null,
      accountId: user?.accountId ?? null,
      action: dryRun ? 'retention.run.dry' : 'retention.run',
      resource: repository,
      result: 'success',
      clientAddress,
      detail: { runId: run.id, removed: removed.length, tags: removed.slice(0, 100) },
    });
    return run;
  }
}

function checkRules(rules: RetentionRules): void {
  if (rules.keepLast === null && rules.keepDays === null) throw new ValidationError('keepLast', 'a policy needs keepLast (1-1000) or keepDays (1-365), or both');
  if (rules.keepLast !== null && !(Number.isInteger(rules.keepLast) && rules.keepLast >= 1 && rules.keepLast <= 1000)) {
    throw new ValidationError('keepLast', 'keepLast must be an integer from 1 to 1000');
  }
  if (rules.keepDays !== null && !(Number.isInteger(rules.keepDays) && rules.keepDays >= 1 && rules.keepDays <= 365)) {
    throw new ValidationError('keepDays', 'keepDays must be an integer from 1 to 365');
  }
  if (rules.exceptions.length > MAX_EXCEPTIONS) throw new ValidationError('exceptions', `at most ${MAX_EXCEPTIONS} exceptions`);
  for (const pattern of rules.exceptions) {
    if (pattern.length === 0 || pattern.length > MAX_PATTERN) throw new ValidationError('exceptions', `an exception is a regular expression of 1-${MAX_PATTERN} characters`);
    // Tags are at most 128 characters, but a pattern that backtracks exponentially would still
    // stop the process (no regex timeout in Node): quantified groups holding a quantifier or an
    // alternation, and back-references, are refused.
    if (/\((?:[^()\\]|\\.)*[*+?|}](?:[^()\\]|\\.)*\)\s*[*+?{]/.test(pattern) || /\\[1-9]/.test(pattern)) {
      throw new ValidationError('exceptions', `exception "${pattern.slice(0, 50)}" nests repetition (such as "(a+)+" or "(a|b)*"); write it without`);
    }
    try {
      new RegExp(pattern);
    } catch (err) {
      throw new ValidationError('exceptions', `exception "${pattern.slice(0, 50)}" is not a regular expression: ${(err as Error).message}`);
    }
  }
}
