import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { requireService } from '@wharf/testing';
import { api, apiLogin, names } from './support/auth-helpers';
import { busyboxRootfsTar, runAsync } from './support/commands';
import { startTestServer, TestServer } from './support/test-server';

const DAY = 24 * 3600_000;
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');

type Role = 'none' | 'read' | 'edit' | 'manage' | 'owner' | 'admin' | 'public' | 'shared' | 'shared-expired' | 'robot';
type Op = 'view' | 'pull' | 'push' | 'edit' | 'deleteTag' | 'grant' | 'share' | 'deleteRepo' | 'deleteOrg';
const ROLES: Role[] = ['none', 'read', 'edit', 'manage', 'owner', 'admin', 'public', 'shared', 'shared-expired', 'robot'];
/** Run in this order so destructive operations come last. */
const OPS: Op[] = ['view', 'pull', 'push', 'edit', 'grant', 'share', 'deleteTag', 'deleteRepo', 'deleteOrg'];

/**
 * SPEC §2 as one table: for each role, the operations it may perform (everything else must be
 * refused). The robot has edit on its organization and, not being a user, no API access.
 */
const ALLOWED: Record<Role, Op[]> = {
  none: [],
  read: ['view', 'pull'],
  edit: ['view', 'pull', 'push', 'edit'],
  manage: OPS,
  owner: OPS,
  admin: OPS,
  public: ['view', 'pull'],
  shared: ['view', 'pull'],
  'shared-expired': [],
  robot: ['pull', 'push'],
};

(databaseUrl && redisUrl && dockerHost ? describe : describe.skip)('permission matrix (REST and the real docker client)', () => {
  let srv: TestServer;
  let work: string;
  let base: string;
  let ownerInfo: { user: string; password: string; accountId: string; bearer: string };
  let third: string;
  const json = async (res: Response) => (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'matrix-'));
    const n = names('mxo');
    const password = `pw-${randomUUID()}`;
    const ids = await srv.accounts.createAccountWithOwner(n.account, n.user, password, 100);
    ownerInfo = { user: n.user, password, accountId: ids.accountId, bearer: await apiLogin(srv, n.user, password) };
    third = names('mxt').account;
    await srv.accounts.createAccountWithOwner(third, names('mxt').user, `pw-${randomUUID()}`);
    base = `wharf-e2e-matrix:${n.user}`;
    await runAsync('docker', ['import', busyboxRootfsTar(work), base], { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'cfg') } });
  }, 120_000);
  afterAll(() => srv?.close());

  /** An organization and repository (tag v1) of the owner's account, and an actor in `role` towards it. */
  async function setup(role: Role): Promise<{ org: string; repo: string; username: string; password: string; bearer: string | null }> {
    const org = `mx${role.replace('-', '')}${randomUUID().slice(0, 6)}`;
    const repo = `${org}/app`;
    // The image every role tries to pull: pushed by the owner with docker itself.
    const ownerConfig = join(work, 'cfg-owner');
    const env = { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: ownerConfig };
    await runAsync('docker', ['login', '-u', ownerInfo.user, '--password-stdin', srv.host], { env, input: ownerInfo.password });
    await runAsync('docker', ['tag', base, `${srv.host}/${repo}:v1`], { env });
    await runAsync('docker', ['push', `${srv.host}/${repo}:v1`], { env });
    const password = `pw-${randomUUID()}`;
    const username = `${org}u`;
    const orgApi = (method: string, path: string, body?: unknown) => api(srv, path, ownerInfo.bearer, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    switch (role) {
      case 'read':
      case 'edit':
      case 'manage':
        await srv.accounts.createMember(ownerInfo.accountId, username, password);
        await orgApi('PUT', `/organizations/${org}/members/${username}`, { level: role });
        break;
      case 'owner':
        return { org, repo, username: ownerInfo.user, password: ownerInfo.password, bearer: ownerInfo.bearer };
      case 'admin':
        return { org, repo, username: 'admin', password: 'admin-password', bearer: await apiLogin(srv, 'admin', 'admin-password') };
      case 'robot': {
        const robot = await json(await orgApi('POST', `/organizations/${org}/robots`, { name: 'ci', level: 'edit' }));
        return { org, repo, username: robot.username, password: robot.secret, bearer: null };
      }
      default: {
        const other = names('mxa');
        await srv.accounts.createAccountWithOwner(other.account, username, password);
        if (role === 'public') await orgApi('PATCH', `/organizations/${org}`, { visibility: 'public' });
        if (role === 'shared') await orgApi('POST', `/repositories/${repo}/shares`, { account: other.account, deadline: 'forever' });
        if (role === 'shared-expired') {
          // A share that ended a minute ago, made with the service's clock a day back (the API refuses past deadlines).
          srv.clock.advance(-DAY);
          try {
            await orgApi('POST', `/repositories/${repo}/shares`, { account: other.account, deadline: new Date(Date.now() - 60_000).toISOString() });
          } finally {
            srv.clock.advance(DAY);
          }
        }
      }
    }
    return { org, repo, username, password, bearer: await apiLogin(srv, username, password) };
  }

  /** The API sign-in a robot's credentials get: none (the answer must be a refusal, not a fault). */
  async function robotApiBearer(username: string, password: string): Promise<string | null> {
    const res = await fetch(`${srv.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 401) throw new Error(`a robot's API sign-in answered ${res.status}`);
    return null;
  }

  async function perform(op: Op, ctx: Awaited<ReturnType<typeof setup>>, docker: (...a: string[]) => Promise<unknown>): Promise<boolean> {
    const rest = async (method: string, path: string, body?: unknown) => {
      // Robots have no API sign-in: the request goes out with the bearer they could get, which is none.
      const bearer = ctx.bearer ?? (await robotApiBearer(ctx.username, ctx.password));
      const res = await fetch(`${srv.url}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status >= 500) throw new Error(`${op}: ${res.status} ${await res.text()}`);
      return res.status < 300;
    };
    const image = `${srv.host}/${ctx.repo}`;
    // Refused is told apart from broken: docker must say it was denied, anything else fails the cell.
    const ok = (p: Promise<unknown>) =>
      p.then(
        () => true,
        (err: Error) => {
          if (/denied|unauthorized|authentication required|may require 'docker login'/i.test(err.message)) return false;
          throw new Error(`${op} failed without being refused: ${err.message}`);
        },
      );
    switch (op) {
      case 'view':
        return rest('GET', `/repositories/${ctx.repo}`);
      case 'pull':
        return ok(docker('pull', `${image}:v1`));
      case 'push':
        await docker('tag', base, `${image}:pushed`);
        return ok(docker('push', `${image}:pushed`));
      case 'edit':
        return rest('PATCH', `/repositories/${ctx.repo}`, { description: 'edited' });
      case 'grant':
        return rest('PUT', `/repositories/${ctx.repo}/members/${ownerInfo.user}`, { level: 'read' });
      case 'share':
        return rest('POST', `/repositories/${ctx.repo}/shares`, { account: third, deadline: 'forever' });
      case 'deleteTag':
        return rest('DELETE', `/repositories/${ctx.repo}/tags/v1`);
      case 'deleteRepo':
        return rest('DELETE', `/repositories/${ctx.repo}`);
      case 'deleteOrg':
        return rest('DELETE', `/organizations/${ctx.org}?cascade=true`);
    }
  }

  it.each(ROLES)('%s', async (role) => {
    const ctx = await setup(role);
    const config = join(work, `cfg-${role}`);
    const docker = (...args: string[]) => runAsync('docker', args, { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: config } });
    await runAsync('docker', ['login', '-u', ctx.username, '--password-stdin', srv.host], { env: { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: config }, input: ctx.password });
    // Pull must reach the registry, not the local image cache.
    await docker('rmi', '-f', `${srv.host}/${ctx.repo}:v1`).catch(() => undefined);
    const outcome: Record<string, boolean> = {};
    for (const op of OPS) outcome[op] = await perform(op, ctx, docker);
    const expected = Object.fromEntries(OPS.map((op) => [op, ALLOWED[role].includes(op)]));
    expect(outcome).toEqual(expected);
  }, 120_000);
});
