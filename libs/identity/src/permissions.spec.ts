import { evaluateAccess, Level, Principal, RepositoryFacts } from './permissions';

const NOW = new Date('2026-06-01T00:00:00Z');
const ACCT = 'acct-1';
const OTHER = 'acct-2';
const user = (over: Partial<Extract<Principal, { kind: 'user' }>> = {}): Principal => ({
  kind: 'user',
  userId: 'u1',
  username: 'alice',
  accountId: OTHER,
  role: 'member',
  isAdmin: false,
  ...over,
});
const facts = (over: Partial<RepositoryFacts> = {}): RepositoryFacts => ({
  organization: { accountId: ACCT, visibility: 'private' },
  repositoryVisibility: null,
  orgGrant: null,
  repoGrant: null,
  shareDeadlines: [],
  ...over,
});
const ALL = ['pull', 'push', 'delete'] as const;

/** One row per situation of SPEC §2: who, what the database says, what they get. */
const MATRIX: [string, Principal, RepositoryFacts, string[]][] = [
  ['no relation to a private repository', user(), facts(), []],
  ['org grant read', user(), facts({ orgGrant: Level.read }), ['pull']],
  ['org grant edit', user(), facts({ orgGrant: Level.edit }), ['pull', 'push']],
  ['org grant manage', user(), facts({ orgGrant: Level.manage }), ['pull', 'push', 'delete']],
  ['repo grant read', user(), facts({ repoGrant: Level.read }), ['pull']],
  ['repo grant edit', user(), facts({ repoGrant: Level.edit }), ['pull', 'push']],
  ['highest of org read and repo manage', user(), facts({ orgGrant: Level.read, repoGrant: Level.manage }), ['pull', 'push', 'delete']],
  ['owner of the organization account', user({ accountId: ACCT, role: 'owner' }), facts(), ['pull', 'push', 'delete']],
  ['member of the account without grants', user({ accountId: ACCT, role: 'member' }), facts(), []],
  ['owner of another account', user({ role: 'owner' }), facts(), []],
  ['system administrator', user({ isAdmin: true }), facts(), ['pull', 'push', 'delete']],
  ['public repository', user(), facts({ repositoryVisibility: 'public' }), ['pull']],
  ['repository in a public organization', user(), facts({ organization: { accountId: ACCT, visibility: 'public' } }), ['pull']],
  ['share without deadline', user(), facts({ shareDeadlines: [null] }), ['pull']],
  ['share before its deadline', user(), facts({ shareDeadlines: [new Date('2026-06-02T00:00:00Z')] }), ['pull']],
  ['share after its deadline', user(), facts({ shareDeadlines: [new Date('2026-05-31T00:00:00Z')] }), []],
  ['share exactly at its deadline', user(), facts({ shareDeadlines: [NOW] }), []],
  ['robot of the organization (edit)', { kind: 'robot', robotId: 'r', username: 'robot$org+ci', accountId: ACCT, organization: 'org', level: Level.edit }, facts(), ['pull', 'push']],
  ['robot of another organization', { kind: 'robot', robotId: 'r', username: 'robot$other+ci', accountId: ACCT, organization: 'other', level: Level.manage }, facts(), []],
  ['robot on a public repository elsewhere', { kind: 'robot', robotId: 'r', username: 'robot$other+ci', accountId: OTHER, organization: 'other', level: Level.manage }, facts({ repositoryVisibility: 'public' }), ['pull']],
  ['anonymous on a private repository', { kind: 'anonymous' }, facts(), []],
  ['anonymous on a public repository', { kind: 'anonymous' }, facts({ repositoryVisibility: 'public' }), ['pull']],
  ['anyone on a missing organization', user(), facts({ organization: null }), []],
];

describe('evaluateAccess', () => {
  it.each(MATRIX)('%s', (_label, principal, f, expected) => {
    expect(evaluateAccess(principal, 'org', f, ALL, { now: NOW, anonymousPull: true }).granted).toEqual(expected);
  });

  it('grants only what was asked, in the order asked, without duplicates', () => {
    const d = evaluateAccess(user(), 'org', facts({ orgGrant: Level.manage }), ['push', 'pull', 'push'], { now: NOW, anonymousPull: true });
    expect(d.granted).toEqual(['push', 'pull']);
  });

  it('refuses anonymous pulls of public repositories when anonymous pull is disabled', () => {
    const d = evaluateAccess({ kind: 'anonymous' }, 'org', facts({ repositoryVisibility: 'public' }), ['pull'], { now: NOW, anonymousPull: false });
    expect(d.granted).toEqual([]);
  });

  it('says why a push to a missing organization was refused', () => {
    const d = evaluateAccess(user(), 'neworg', facts({ organization: null }), ['pull', 'push'], { now: NOW, anonymousPull: true });
    expect(d.reason).toBe('organization neworg does not exist');
  });
});
