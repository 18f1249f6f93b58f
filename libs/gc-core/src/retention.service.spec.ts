import type { AuditEvent, AuditLog } from '@wharf/auth-core';
import type { RegistryWriter } from '@wharf/org-core';
import { fakePort, PortCall, rejectionOf } from '@wharf/testing';
import { ForbiddenError, NotFoundError, ValidationError } from '@wharf/util';
import type { RepositoryGate, RetentionPolicy, RetentionRules, RetentionRun, RetentionStore } from './retention.ports';
import { RetentionService, tagsToRemove } from './retention.service';
import { specUser } from '../../org-core/src/spec-users';

const NOW = new Date('2026-12-02T12:00:00Z');
const DAY = 24 * 3600 * 1000;
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY);
const manager = specUser({ username: 'mia' });
const rules = (over: Partial<RetentionRules>): RetentionRules => ({ keepLast: null, keepDays: null, exceptions: [], daily: false, ...over });

describe('tagsToRemove', () => {
  const tags = [
    { name: 'v1', pushedAt: daysAgo(40) },
    { name: 'v2', pushedAt: daysAgo(20) },
    { name: 'v3', pushedAt: daysAgo(5) },
    { name: 'latest', pushedAt: daysAgo(1) },
    { name: 'release-1.0', pushedAt: daysAgo(90) },
  ];

  it('keeps the newest N by push time', () => {
    expect(tagsToRemove(tags, rules({ keepLast: 2 }), NOW)).toEqual(['release-1.0', 'v1', 'v2']);
  });

  it('keeps what was pushed within D days', () => {
    expect(tagsToRemove(tags, rules({ keepDays: 10 }), NOW)).toEqual(['release-1.0', 'v1', 'v2']);
    expect(tagsToRemove(tags, rules({ keepDays: 30 }), NOW)).toEqual(['release-1.0', 'v1']);
  });

  it('keeps what either rule keeps, and what an exception matches whole', () => {
    expect(tagsToRemove(tags, rules({ keepLast: 1, keepDays: 10, exceptions: ['release-.*'] }), NOW)).toEqual(['v1', 'v2']);
    expect(tagsToRemove(tags, rules({ keepLast: 1, exceptions: ['v'] }), NOW)).toEqual(['release-1.0', 'v1', 'v2', 'v3']); // "v" is not "v1"
  });

  it('breaks push-time ties by name', () => {
    const same = [{ name: 'b', pushedAt: daysAgo(1) }, { name: 'a', pushedAt: daysAgo(1) }];
    expect(tagsToRemove(same, rules({ keepLast: 1 }), NOW)).toEqual(['b']);
  });
});

function build(options: { policy?: Partial<RetentionRules>; allowed?: boolean; tags?: { name: string; pushedAt: Date }[] } = {}) {
  const calls: PortCall[] = [];
  const audit: AuditEvent[] = [];
  let policy: RetentionPolicy | null = options.policy ? { repository: 'acme/web', updatedBy: 'mia', updatedAt: NOW, ...rules(options.policy) } : null;
  const runs: RetentionRun[] = [];
  const tags = options.tags ?? [
    { name: 'v1', pushedAt: daysAgo(3) },
    { name: 'v2', pushedAt: daysAgo(2) },
    { name: 'v3', pushedAt: daysAgo(1) },
  ];
  const store = fakePort<RetentionStore>(
    'store',
    {
      findPolicy: async () => policy,
      savePolicy: async (repository, r, by) => (policy = { repository, ...r, updatedBy: by, updatedAt: NOW }),
      tags: async () => tags,
      recordRun: async (run) => (runs.push({ ...run, createdAt: NOW }), { ...run, createdAt: NOW }),
      listRuns: async () => ({ items: runs, total: runs.length }),
      dailyRepositories: async () => ['acme/web', 'acme/gone'],
    },
    calls,
  );
  const gate = fakePort<RepositoryGate>(
    'gate',
    {
      requireManage: async () => {
        if (options.allowed === false) throw new ForbiddenError('this needs manage permission on acme/web');
      },
    },
    calls,
  );
  const registry = fakePort<RegistryWriter>('registry', { deleteTags: async (_name, t) => [...t].sort() }, calls);
  const auditLog = fakePort<AuditLog>('audit', { record: async (e) => void audit.push(e) }, calls);
  const service = new RetentionService(store, gate, registry, auditLog, () => 'run-1', () => NOW);
  return { service, calls, audit, runs };
}

describe('RetentionService', () => {
  it('removes the tags the policy does not keep through the registry, and records the run', async () => {
    const { service, calls, audit } = build({ policy: { keepLast: 1 } });
    const run = await service.run(manager, 'acme/web', false, '203.0.113.7');
    expect(run).toMatchObject({ repository: 'acme/web', dryRun: false, removed: ['v1', 'v2'], kept: 1, trigger: 'api', requestedBy: 'mia' });
    expect(calls.filter(([m]) => m === 'registry.deleteTags')).toEqual([['registry.deleteTags', 'acme/web', ['v1', 'v2']]]);
    expect(audit).toEqual([expect.objectContaining({ action: 'retention.run', resource: 'acme/web', detail: expect.objectContaining({ removed: 2 }) })]);
  });

  it('a dry run removes nothing and says what it would', async () => {
    const { service, calls } = build({ policy: { keepLast: 2 } });
    expect((await service.run(manager, 'acme/web', true, null)).removed).toEqual(['v1']);
    expect(calls.some(([m]) => m === 'registry.deleteTags')).toBe(false);
  });

  it('checks the caller may manage the repository first, for every operation', async () => {
    const { service, calls } = build({ policy: { keepLast: 1 }, allowed: false });
    await rejectionOf(service.run(manager, 'acme/web', false, null), ForbiddenError);
    await rejectionOf(service.getPolicy(manager, 'acme/web'), ForbiddenError);
    await rejectionOf(service.setPolicy(manager, 'acme/web', rules({ keepLast: 3 }), null), ForbiddenError);
    await rejectionOf(service.history(manager, 'acme/web', 0, 20), ForbiddenError);
    expect(calls.every(([m]) => m === 'gate.requireManage')).toBe(true);
  });

  it('refuses a policy without a rule, out-of-range numbers and bad or runaway exceptions, naming the field', async () => {
    const { service } = build();
    const bad: [Partial<RetentionRules>, string][] = [
      [{}, 'keepLast'],
      [{ keepLast: 0 }, 'keepLast'],
      [{ keepDays: 366 }, 'keepDays'],
      [{ keepLast: 1, exceptions: ['('] }, 'exceptions'],
      [{ keepLast: 1, exceptions: ['(a+)+$'] }, 'exceptions'],
      [{ keepLast: 1, exceptions: ['(x|xx)*'] }, 'exceptions'],
      [{ keepLast: 1, exceptions: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'exceptions'],
    ];
    for (const [r, field] of bad) expect([(await rejectionOf(service.setPolicy(manager, 'acme/web', rules(r), null), ValidationError)).field]).toEqual([field]);
    expect(await service.setPolicy(manager, 'acme/web', rules({ keepDays: 30, exceptions: ['release-.*', '(rc|beta)[0-9]+'] }), null)).toMatchObject({ keepDays: 30, updatedBy: 'mia' });
  });

  it('without a policy there is nothing to get or run', async () => {
    const { service } = build();
    await rejectionOf(service.getPolicy(manager, 'acme/web'), NotFoundError);
    await rejectionOf(service.run(manager, 'acme/web', false, null), NotFoundError);
  });

  it('the daily run goes through every daily policy and reports the ones that failed', async () => {
    const { service } = build({ policy: { keepLast: 2, daily: true } });
    const done = await service.runDaily();
    expect(done).toEqual({ repositories: 2, removed: 2, failures: [] });
  });
});
