import type { AccessStore, AuditEvent, AuditLog, Clock, UserStore } from '@wharf/auth-core';
import { Level, RepositoryFacts } from '@wharf/identity';
import { fakePort, PortCall } from '@wharf/testing';
import { ForbiddenError, NotFoundError, ValidationError } from '@wharf/util';
import type { AuditSearch, RegistryWriter, RepoRecord, RepoStore, ShareRecord, ShareStore } from './ports';
import { RepositoryService } from './repository.service';
import { specUser } from './spec-users';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 24 * 3600_000;
const user = specUser;
const owner = user();
const editor = user({ id: 'u-editor', username: 'eddie', role: 'member' });
const partner = user({ id: 'u-partner', accountId: 'acct-2', username: 'pat' });

/** RepositoryService with in-memory fakes: one private repository `team/app`, its grants, shares and tags. */
function build() {
  const calls: PortCall[] = [];
  const repo: RepoRecord = {
    id: 'repo-1',
    name: 'team/app',
    organization: { id: 'org-1', accountId: 'acct-1', visibility: 'private' },
    visibility: null,
    description: '',
    category: 'other',
    downloadCount: 0,
    tagCount: 2,
    size: 10,
    createdAt: NOW,
    updatedAt: NOW,
  };
  const grants = new Map<string, number>([['u-editor', Level.edit]]);
  const shares = new Map<string, ShareRecord>();
  const tags = new Set(['v1', 'v2']);
  const audit: AuditEvent[] = [];
  const accounts = new Map([['partner', { id: 'acct-2', name: 'partner' }], ['own', { id: 'acct-1', name: 'own' }]]);
  const access = fakePort<AccessStore>(
    'access',
    {
      repositoryFacts: async (principal): Promise<RepositoryFacts> => ({
        organization: repo.organization,
        repositoryVisibility: repo.visibility,
        orgGrant: null,
        repoGrant: principal.kind === 'user' ? (grants.get(principal.userId) ?? null) : null,
        shareDeadlines: [...shares.values()].filter((s) => principal.kind === 'user' && s.accountId === principal.accountId).map((s) => s.deadline),
      }),
    },
    calls,
  );
  const repos = fakePort<RepoStore>(
    'repos',
    {
      findRepository: async (name) => (name === repo.name ? repo : null),
      updateRepository: async (_id, changes) => void Object.assign(repo, changes),
    },
    calls,
  );
  const shareStore = fakePort<ShareStore>(
    'shares',
    {
      findAccountByName: async (name) => accounts.get(name) ?? null,
      upsertShare: async (_id, accountId, deadline, description) =>
        void shares.set(accountId, { accountId, accountName: accountId === 'acct-2' ? 'partner' : '?', deadline, description, createdAt: NOW }),
      listShares: async () => [...shares.values()],
    },
    calls,
  );
  const registry = fakePort<RegistryWriter>(
    'registry',
    {
      deleteTags: async (_name, names) => names.filter((t) => tags.delete(t)).sort(),
      deleteRepository: async () => true,
    },
    calls,
  );
  const auditLog = fakePort<AuditLog>('audit', { record: async (e) => void audit.push(e) }, calls);
  const clock: Clock = { now: () => NOW };
  const service = new RepositoryService(repos, shareStore, fakePort<AuditSearch>('audit', {}, calls), access, fakePort<UserStore>('users', {}, calls), auditLog, clock, 'registry.example:5000', registry);
  return { service, repo, shares, tags, audit, calls };
}

describe('RepositoryService', () => {
  it('deletes tags through the registry (the one writer of its tables), audited with what was deleted', async () => {
    const { service, tags, audit, calls } = build();
    expect(await service.deleteTags(owner, 'team/app', ['v1', 'nope'], '203.0.113.4')).toEqual({ deleted: ['v1'] });
    expect([...tags]).toEqual(['v2']);
    expect(calls.filter(([m]) => m.startsWith('registry.'))).toEqual([['registry.deleteTags', 'team/app', ['v1', 'nope']]]);
    expect(audit.at(-1)).toMatchObject({ action: 'tag.delete', resource: 'team/app', detail: { tags: ['v1'] }, clientAddress: '203.0.113.4' });
    await expect(service.deleteTags(owner, 'team/app', ['nope'], null)).rejects.toThrow(new NotFoundError('none of the tags exist in team/app'));
    await expect(service.deleteTags(owner, 'team/app', ['Bad Tag'], null)).rejects.toThrow(ValidationError);
  });

  it('lets edit change the description but not the visibility, and refuses deletes to it', async () => {
    const { service, repo, calls } = build();
    expect((await service.update(editor, 'team/app', { description: '# App' }, null)).description).toBe('# App');
    await expect(service.update(editor, 'team/app', { visibility: 'public' }, null)).rejects.toThrow(ForbiddenError);
    expect(repo.visibility).toBeNull();
    await expect(service.delete(editor, 'team/app', null)).rejects.toThrow(/needs manage permission on team\/app/);
    expect(calls.some(([m]) => m === 'registry.deleteRepository')).toBe(false);
    await service.delete(owner, 'team/app', null);
    expect(calls.filter(([m]) => m === 'registry.deleteRepository')).toEqual([['registry.deleteRepository', 'team/app']]);
  });

  it('hides a private repository from another account until it is shared with it, and the share ends at its deadline', async () => {
    const { service, shares } = build();
    await expect(service.get(partner, 'team/app')).rejects.toThrow(NotFoundError);
    const deadline = new Date(NOW.getTime() + DAY).toISOString();
    expect(await service.share(owner, 'team/app', { account: 'partner', deadline }, null)).toEqual({ account: 'partner', deadline, description: '', permission: 'pull' });
    expect((await service.get(partner, 'team/app')).name).toBe('team/app');
    (shares.get('acct-2') as ShareRecord).deadline = new Date(NOW.getTime() - 1);
    await expect(service.get(partner, 'team/app')).rejects.toThrow(NotFoundError);
    expect((await service.shares(owner, 'team/app')).items).toEqual([expect.objectContaining({ account: 'partner', expired: true })]);
  });

  it('refuses shares that make no sense, naming the field', async () => {
    const { service } = build();
    const refused = (input: Record<string, unknown>) => service.share(owner, 'team/app', input, null);
    await expect(refused({ account: 'own', deadline: 'forever' })).rejects.toThrow('a repository cannot be shared with its own account');
    await expect(refused({ account: 'ghost', deadline: 'forever' })).rejects.toThrow('account ghost does not exist');
    await expect(refused({ account: 'partner', deadline: '2026-11-30' })).rejects.toThrow('deadline must be in the future');
    await expect(refused({ account: 'partner', deadline: 'soon' })).rejects.toThrow('deadline must be an ISO date or "forever"');
    await expect(refused({ account: 'partner', deadline: 'forever', permission: 'push' })).rejects.toThrow('permission can only be "pull"');
    await expect(refused({ account: 'partner', deadline: 'forever', description: 'x'.repeat(1001) })).rejects.toThrow(/description must be a string of at most 1000/);
  });
});
