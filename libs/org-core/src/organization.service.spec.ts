import type { AccessStore, AuditEvent, AuditLog, NewOrganization, RobotStore, UserStore } from '@wharf/auth-core';
import { Level, LevelValue } from '@wharf/identity';
import { fakePort, PortCall } from '@wharf/testing';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '@wharf/util';
import { OrganizationService } from './organization.service';
import { specUser } from './spec-users';
import type { OrgRecord, OrgStore, RegistryWriter } from './ports';

const user = specUser;
const owner = user();
const member = user({ id: 'u-member', username: 'mia', role: 'member' });
const stranger = user({ id: 'u-stranger', accountId: 'acct-2', username: 'sam' });
const admin = user({ id: 'u-admin', accountId: 'acct-admin', username: 'admin', isAdmin: true });

/** OrganizationService with every port an in-memory fake: organizations, members and repository counts in maps. */
function build(options: { quota?: number } = {}) {
  const calls: PortCall[] = [];
  const orgs = new Map<string, OrgRecord>();
  const members = new Map<string, LevelValue>(); // `${orgId}/${userId}`
  const repositories = new Map<string, number>();
  const audit: AuditEvent[] = [];
  const removed: string[] = [];
  const create = (o: NewOrganization) => {
    if (orgs.has(o.name)) return { kind: 'exists' as const };
    const owned = [...orgs.values()].filter((x) => x.accountId === o.accountId).length;
    if (owned >= (options.quota ?? o.defaultQuota)) return { kind: 'quota' as const, quota: options.quota ?? o.defaultQuota };
    const id = `org-${orgs.size + 1}`;
    orgs.set(o.name, { id, name: o.name, accountId: o.accountId, visibility: o.visibility ?? 'private', storageQuotaBytes: null, createdAt: new Date(0) });
    if (o.managerUserId) members.set(`${id}/${o.managerUserId}`, Level.manage);
    audit.push(o.audit);
    return { kind: 'created' as const };
  };
  const access = fakePort<AccessStore>('access', { createOrganization: async (o) => create(o) }, calls);
  const users = fakePort<UserStore>('users', {}, calls);
  const robots = fakePort<RobotStore>('robots', {}, calls);
  const store = fakePort<OrgStore>(
    'orgs',
    {
      findOrganization: async (name) => orgs.get(name) ?? null,
      countRepositories: async (name) => repositories.get(name) ?? 0,
      memberLevel: async (orgId, userId) => members.get(`${orgId}/${userId}`) ?? null,
      deleteOrganization: async (name) => void orgs.delete(name),
      updateOrganization: async (name, changes) => void Object.assign(orgs.get(name) as OrgRecord, changes),
    },
    calls,
  );
  const auditLog = fakePort<AuditLog>('audit', { record: async (e) => void audit.push(e) }, calls);
  const registry = fakePort<RegistryWriter>('registry', { organizationRemoved: async (name) => void removed.push(name) }, calls);
  const service = new OrganizationService(store, access, users, robots, auditLog, 5, registry);
  return { service, orgs, members, repositories, audit, removed, calls };
}

describe('OrganizationService', () => {
  it('creates an organization with its audit entry in one store call, and shows it to its creator as manage', async () => {
    const { service, audit, calls } = build();
    const view = await service.create(owner, 'team-a', undefined, '203.0.113.1');
    expect(view).toMatchObject({ name: 'team-a', visibility: 'private', accountId: 'acct-1', myLevel: 'manage', repositoryCount: 0 });
    expect(calls.filter(([m]) => m === 'access.createOrganization')).toEqual([
      ['access.createOrganization', expect.objectContaining({ name: 'team-a', accountId: 'acct-1', defaultQuota: 5, managerUserId: undefined })],
    ]);
    expect(calls.some(([m]) => m === 'audit.record')).toBe(false); // written with the organization, not after it
    expect(audit).toEqual([expect.objectContaining({ actor: 'olive', action: 'organization.create', resource: 'team-a', clientAddress: '203.0.113.1', detail: { visibility: 'private' } })]);
  });

  it('makes a member who creates an organization its manager, in the same store call', async () => {
    const { service, members } = build();
    expect((await service.create(member, 'mias-team', 'public', null)).myLevel).toBe('manage');
    expect([...members]).toEqual([['org-1/u-member', Level.manage]]);
  });

  it('refuses names that break the rules, a taken name and an account over its quota, naming the problem', async () => {
    const { service, orgs } = build({ quota: 1 });
    await expect(service.create(owner, 'Bad_Name', undefined, null)).rejects.toThrow(ValidationError);
    await expect(service.create(owner, 42, undefined, null)).rejects.toThrow(/name is required and must be a string/);
    await expect(service.create(owner, 'team-b', 'secret', null)).rejects.toThrow(/visibility must be "public" or "private"/);
    await service.create(owner, 'team-b', undefined, null);
    await expect(service.create(stranger, 'team-b', undefined, null)).rejects.toThrow(new ConflictError('organization already exists: team-b'));
    await expect(service.create(owner, 'team-c', undefined, null)).rejects.toThrow(ForbiddenError);
    await expect(service.create(owner, 'team-c', undefined, null)).rejects.toThrow(/quota of 1 organizations/);
    expect([...orgs.keys()]).toEqual(['team-b']);
  });

  it('hides a private organization from a stranger (404) and refuses a reader its settings (403)', async () => {
    const { service, members } = build();
    await service.create(owner, 'hidden', 'private', null);
    await expect(service.get(stranger, 'hidden')).rejects.toThrow(NotFoundError);
    members.set('org-1/u-stranger', Level.read);
    expect((await service.get(stranger, 'hidden')).myLevel).toBe('read');
    await expect(service.update(stranger, 'hidden', { visibility: 'public' }, null)).rejects.toThrow(/needs manage permission on organization hidden/);
  });

  it('lets only a system administrator set a storage quota', async () => {
    const { service, orgs } = build();
    await service.create(owner, 'quota-org', undefined, null);
    await expect(service.update(owner, 'quota-org', { storageQuotaBytes: 10 }, null)).rejects.toThrow(/only a system administrator sets storage quotas/);
    await expect(service.update(admin, 'quota-org', { storageQuotaBytes: -1 }, null)).rejects.toThrow(ValidationError);
    expect((await service.update(admin, 'quota-org', { storageQuotaBytes: 1024 }, null)).storageQuotaBytes).toBe(1024);
    expect(orgs.get('quota-org')?.storageQuotaBytes).toBe(1024);
  });

  it('refuses to delete an organization with repositories unless cascading; a delete tells every registry cache and is audited', async () => {
    const { service, repositories, removed, audit, orgs } = build();
    await service.create(owner, 'full', undefined, null);
    repositories.set('full', 3);
    await expect(service.delete(owner, 'full', false, null)).rejects.toThrow(/has 3 repositories; delete them first or delete with cascade=true/);
    expect(removed).toEqual([]);
    await service.delete(owner, 'full', true, '198.51.100.2');
    expect(orgs.has('full')).toBe(false);
    expect(removed).toEqual(['full']);
    expect(audit.at(-1)).toMatchObject({ action: 'organization.delete', resource: 'full', clientAddress: '198.51.100.2', detail: { cascade: true, repositories: 3 } });
    await expect(service.delete(owner, 'full', true, null)).rejects.toThrow(NotFoundError);
  });
});
