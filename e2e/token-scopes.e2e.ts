import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { errorCode, ociError, requireService, sha256 } from '@wharf/testing';
import { api, apiLogin, basic, claims, token, tokenResponse } from './support/auth-helpers';
import { startTestServer, TestServer } from './support/test-server';
import { tokenFixtures } from './support/token-fixtures';

/**
 * What a token is good for beyond its scope: the organization it was issued for, the source of a
 * mount, and how many refused logins it takes to stop a guesser (per username and address).
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

(databaseUrl && redisUrl ? describe : describe.skip)('token scope: organizations, mounts, login limits', () => {
  let srv: TestServer;
  const { registry, owner, pushWith } = tokenFixtures(() => srv);
  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
  });
  afterAll(() => srv?.close());

  it('a token is void in an organization that was deleted and whose name another account took', async () => {
    const first = await owner('orgbind1');
    const second = await owner('orgbind2');
    const repo = `${first.org}/app`;
    const old = await token(srv, [`repository:${repo}:pull,push`], first.auth);
    expect((await pushWith(old, repo)).status).toBe(201);
    const admin = await apiLogin(srv, 'admin', 'admin-password');
    expect((await api(srv, `/organizations/${first.org}?cascade=true`, admin, { method: 'DELETE' })).status).toBe(204);
    // The name is free again: the other account's push creates it anew.
    const fresh = await token(srv, [`repository:${repo}:pull,push`], second.auth);
    expect(claims(fresh).access[0]?.actions).toEqual(['pull', 'push']);
    expect((await pushWith(fresh, repo)).status).toBe(201);
    const pull = await registry(`/v2/${repo}/manifests/v1`, old);
    expect(pull.status).toBe(401);
    expect(pull.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await ociError(pull)).message).toContain(`organization ${first.org} that no longer exists`);
    expect((await pushWith(old, repo, 'v2')).status).toBe(401);
    expect((await registry(`/v2/${repo}/manifests/v1`, fresh)).status).toBe(200);
  });

  describe('cross-repository mount under token auth', () => {
    async function blobIn(o: { org: string; auth: string }, data: Buffer): Promise<void> {
      const bearer = await token(srv, [`repository:${o.org}/src:pull,push`], o.auth);
      const res = await registry(`/v2/${o.org}/src/blobs/uploads/?digest=${sha256(data)}`, bearer, { method: 'POST', body: data });
      expect(res.status).toBe(201);
    }

    it("the 401 challenge of a mount asks for the source's pull too, and a token from it mounts (201)", async () => {
      const o = await owner('mount');
      const data = Buffer.from(`mounted-${randomUUID()}`);
      await blobIn(o, data);
      const path = `/v2/${o.org}/dst/blobs/uploads/?mount=${sha256(data)}&from=${o.org}/src`;
      const challenge = await registry(path, null, { method: 'POST' });
      expect(challenge.status).toBe(401);
      const scope = /scope="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
      expect(scope).toBe(`repository:${o.org}/dst:pull,push repository:${o.org}/src:pull`);
      const bearer = await token(srv, (scope as string).split(' '), o.auth);
      const mounted = await registry(path, bearer, { method: 'POST' });
      expect(mounted.status).toBe(201);
      expect(mounted.headers.get('location')).toBe(`/v2/${o.org}/dst/blobs/${sha256(data)}`);
    });

    it("a token without pull on the source falls back to an upload and does not link the other account's blob", async () => {
      const victim = await owner('mvictim');
      const thief = await owner('mthief');
      const data = Buffer.from(`private-${randomUUID()}`);
      await blobIn(victim, data);
      const scopes = [`repository:${thief.org}/dst:pull,push`, `repository:${victim.org}/src:pull`];
      const bearer = await token(srv, scopes, thief.auth);
      expect(claims(bearer).access.find((a) => a.name === `${victim.org}/src`)?.actions ?? []).toEqual([]);
      const res = await registry(`/v2/${thief.org}/dst/blobs/uploads/?mount=${sha256(data)}&from=${victim.org}/src`, bearer, { method: 'POST' });
      expect(res.status).toBe(202);
      const head = await registry(`/v2/${thief.org}/dst/blobs/${sha256(data)}`, bearer, { method: 'HEAD' });
      expect(head.status).toBe(404);
    });

    it("a mount respects the target organization's storage quota", async () => {
      const o = await owner('mquota');
      const data = Buffer.alloc(4096, 7);
      await blobIn(o, data);
      const target = `${o.org}q`;
      const bearer = await token(srv, [`repository:${target}/dst:pull,push`, `repository:${o.org}/src:pull`], o.auth);
      expect((await registry(`/v2/${target}/dst/blobs/uploads/`, bearer, { method: 'POST' })).status).toBe(202); // creates the organization
      const admin = await apiLogin(srv, 'admin', 'admin-password');
      const patched = await api(srv, `/organizations/${target}`, admin, { method: 'PATCH', body: JSON.stringify({ storageQuotaBytes: 100 }) });
      expect(patched.status).toBe(200);
      const res = await registry(`/v2/${target}/dst/blobs/uploads/?mount=${sha256(data)}&from=${o.org}/src`, bearer, { method: 'POST' });
      expect(res.status).toBe(403);
      expect((await ociError(res)).message).toContain(`storage quota of organization ${target} exceeded`);
    });
  });

  describe('brute force', () => {
    it('answers 429 TOOMANYREQUESTS with Retry-After after repeated failures, even for the right password', async () => {
      const o = await owner('brute');
      for (let i = 0; i < 5; i++) expect((await tokenResponse(srv, [], basic(o.user, `guess-${i}`))).status).toBe(401);
      const blocked = await tokenResponse(srv, [], o.auth);
      expect(blocked.status).toBe(429);
      expect(await errorCode(blocked)).toBe('TOOMANYREQUESTS');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('login limiting (WHARF_LOGIN_MAX_FAILURES=3 within WHARF_LOGIN_WINDOW_SECONDS=2)', () => {
    let limited: TestServer;
    beforeAll(async () => {
      limited = await startTestServer(databaseUrl as string, redisUrl as string, { WHARF_LOGIN_MAX_FAILURES: '3', WHARF_LOGIN_WINDOW_SECONDS: '2' });
    });
    afterAll(() => limited?.close());
    /** GET /token from a chosen loopback address (every 127.x address reaches the server). */
    const from = (address: string, auth: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${limited.url}/token?service=wharf-registry`, { localAddress: address, headers: { authorization: auth } }, (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        });
        req.once('error', reject);
        req.end();
      });

    it('locks a username for one client address after the limit, until the window ends', async () => {
      const o = await owner('limit');
      for (let i = 0; i < 3; i++) expect(await from('127.0.0.1', basic(o.user, `guess-${i}`))).toBe(401);
      expect(await from('127.0.0.1', o.auth)).toBe(429); // the right password too
      expect(await from('127.0.0.2', o.auth)).toBe(200); // another address is not locked
      const other = await owner('limitother');
      expect(await from('127.0.0.1', other.auth)).toBe(200); // nor another username
      await new Promise((r) => setTimeout(r, 2_200));
      expect(await from('127.0.0.1', o.auth)).toBe(200);
    });

    it('a successful login clears the count', async () => {
      const o = await owner('limitclear');
      for (let i = 0; i < 2; i++) expect(await from('127.0.0.1', basic(o.user, `guess-${i}`))).toBe(401);
      expect(await from('127.0.0.1', o.auth)).toBe(200);
      for (let i = 0; i < 2; i++) expect(await from('127.0.0.1', basic(o.user, `again-${i}`))).toBe(401);
      expect(await from('127.0.0.1', o.auth)).toBe(200);
    });
  });

});
