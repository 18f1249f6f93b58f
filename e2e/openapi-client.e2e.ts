import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { requireService } from '@wharf/testing';
import { uniqueOrg } from './support/test-registry';
import { startTestServer, TEST_ADMIN_PASSWORD, TestServer } from './support/test-server';

/**
 * The OpenAPI document is generated from the DTOs: every operation has a schema for its request
 * body and its answers, and a client generated from it (openapi-typescript) type-checks real
 * calls and refuses wrong ones.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const redisUrl = requireService('WHARF_TEST_REDIS_URL', 'Redis');

type Operation = { requestBody?: { content?: Record<string, { schema?: object }> }; responses: Record<string, { content?: Record<string, { schema?: object }> }> };

/** Type errors of `source` compiled strictly beside the generated `api.ts` in `dir`. */
function typeErrors(dir: string, source: string): string[] {
  const file = join(dir, `check-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: [] });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

(databaseUrl && redisUrl ? describe : describe.skip)('OpenAPI document and a generated client', () => {
  let srv: TestServer;
  let document: { paths: Record<string, Record<string, Operation>> };
  let dir: string;

  beforeAll(async () => {
    srv = await startTestServer(databaseUrl as string, redisUrl as string);
    document = (await (await fetch(`${srv.url}/api/docs-json`)).json()) as typeof document;
    dir = mkdtempSync(join(tmpdir(), 'wharf-openapi-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    const generated = spawnSync(join(__dirname, '../node_modules/.bin/openapi-typescript'), [join(dir, 'openapi.json'), '-o', join(dir, 'api.ts')], { encoding: 'utf8' });
    if (generated.status !== 0) throw new Error(`openapi-typescript failed: ${generated.stderr}`);
  }, 60_000);
  afterAll(() => srv?.close());

  it('documents every endpoint of SPEC §12 that exists, each answer and each request body with a schema', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(38);
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect([where, ok.length > 0]).toEqual([where, true]);
      for (const [status, answer] of ok) {
        if (status !== '204') expect([where, status, Boolean(answer.content?.['application/json']?.schema)]).toEqual([where, status, true]);
      }
      expect([where, Boolean(op.responses['default']?.content?.['application/json']?.schema)]).toEqual([where, true]);
      if (['post', 'put', 'patch'].includes(method) && !path.endsWith('/token')) {
        expect([where, Boolean(op.requestBody?.content?.['application/json']?.schema)]).toEqual([where, true]);
      }
    }
  });

  it('a generated client type-checks real calls, and refuses a wrong field, a wrong value and a misread answer', async () => {
    const client = `
      import type { paths } from './api';
      type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
      type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer A } } } } ? A : never;
      export async function call<P extends keyof paths, M extends keyof paths[P] & string, S extends number>(
        base: string, path: P, method: M, _status: S, body?: Body<P, M>, bearer?: string,
      ): Promise<Answer<P, M, S>> {
        const res = await fetch(base + path, { method: method.toUpperCase(), body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(bearer ? { authorization: 'Bearer ' + bearer } : {}) } });
        return (await res.json()) as Answer<P, M, S>;
      }
    `;
    writeFileSync(join(dir, 'client.ts'), client);
    const calls = (extra: string) => `
      import { call } from './client';
      export async function tour(base: string, password: string, org: string): Promise<number> {
        const login = await call(base, '/api/v1/auth/login', 'post', 200, { username: 'admin', password });
        const token: string = login.accessToken;
        const created = await call(base, '/api/v1/organizations', 'post', 201, { name: org, visibility: 'private' }, token);
        const level: string | null = created.myLevel;
        const repos = await call(base, '/api/v1/repositories', 'get', 200, undefined, token);
        const tags: number = repos.items.reduce((n, r) => n + r.tagCount, 0);
        ${extra}
        return created.repositoryCount + tags + (level ? 1 : 0);
      }
    `;
    expect(typeErrors(dir, calls(''))).toEqual([]);
    expect(typeErrors(dir, calls(`await call(base, '/api/v1/organizations', 'post', 201, { name: org, colour: 'red' }, token);`)).join('\n')).toMatch(/colour/);
    expect(typeErrors(dir, calls(`await call(base, '/api/v1/organizations', 'post', 201, { name: org, visibility: 'secret' }, token);`)).join('\n')).toMatch(/secret/);
    expect(typeErrors(dir, calls(`const wrong: number = created.name;`)).join('\n')).toMatch(/not assignable to type 'number'/);

    // The same calls against the server answer what the types say.
    const base = srv.url;
    const login = (await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }) })).json()) as { accessToken: unknown };
    expect(typeof login.accessToken).toBe('string');
    const org = uniqueOrg('oapi');
    const created = await fetch(`${base}/api/v1/organizations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken as string}` },
      body: JSON.stringify({ name: org, visibility: 'private' }),
    });
    expect(created.status).toBe(201);
    expect(Object.keys((await created.json()) as object).sort()).toEqual(['accountId', 'createdAt', 'myLevel', 'name', 'repositoryCount', 'storageQuotaBytes', 'visibility']);
  });

  it('answers validation errors of the DTOs in the SPEC envelope, naming the field', async () => {
    const login = (await (await fetch(`${srv.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }) })).json()) as { accessToken: string };
    const post = (path: string, body: string) =>
      fetch(`${srv.url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` }, body });
    const cases: [string, string, string][] = [
      ['/organizations', JSON.stringify({ name: uniqueOrg('v'), visibility: 'secret' }), 'visibility'],
      ['/organizations', JSON.stringify({ name: 7 }), 'name'],
      ['/organizations', JSON.stringify({ name: uniqueOrg('v'), colour: 'red' }), 'colour'],
      ['/organizations', '[1,2]', 'body'],
      ['/accounts', JSON.stringify({ name: 'acct', owner: { username: 'u', password: 5 } }), 'owner.password'],
      ['/access-keys', JSON.stringify({ anything: 1 }), 'anything'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      const answer = (await res.json()) as { error: { code: string; field?: string; message: string } };
      expect([path, body, res.status, answer.error.code, answer.error.field]).toEqual([path, body, 400, 'INVALID_ARGUMENT', field]);
      expect(answer.error.message).toContain(field === 'body' ? 'JSON object' : field.split('.').pop());
    }
  });

  it('validates list queries with the same pipe as bodies, naming the parameter, and documents each parameter', async () => {
    const login = (await (await fetch(`${srv.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }) })).json()) as { accessToken: string };
    const get = (path: string) => fetch(`${srv.url}/api/v1${path}`, { headers: { authorization: `Bearer ${login.accessToken}` } });
    const cases: [string, string, string][] = [
      ['/repositories?colour=red', 'colour', 'unknown field "colour"'],
      ['/repositories?pageSize=101', 'pageSize', 'pageSize must be an integer from 1 to 100'],
      ['/repositories?page=1&page=2', 'page', 'page must be an integer from 1 to 1000000'],
      ['/repositories?sort=size', 'sort', 'sort must be one of: name, updated, downloads'],
      ['/repositories?q=a&q=b', 'q', 'q must be a string of at most 128 characters'],
      ['/organizations?pageSize=abc', 'pageSize', 'pageSize must be an integer from 1 to 100'],
      ['/audit-events?from=yesterday', 'from', 'from must be an ISO date-time'],
      ['/access-keys?page=0', 'page', 'page must be an integer from 1 to 1000000'],
    ];
    for (const [path, field, message] of cases) {
      const res = await get(path);
      const answer = (await res.json()) as { error: { code: string; field?: string; message: string } };
      expect([path, res.status, answer.error.code, answer.error.field, answer.error.message]).toEqual([path, 400, 'INVALID_ARGUMENT', field, message]);
    }
    expect((await get('/repositories?sort=downloads&page=1&pageSize=5')).status).toBe(200);
    type Parameter = { name: string; in: string; schema?: { type?: string; enum?: string[] } };
    const parameters = (path: string) => ((document.paths[path]?.['get'] as unknown as { parameters?: Parameter[] })?.parameters ?? []).filter((p) => p.in === 'query');
    const listed = parameters('/api/v1/repositories');
    expect(listed.map((p) => p.name).sort()).toEqual(['category', 'filter', 'org', 'page', 'pageSize', 'q', 'sort', 'visibility']);
    expect(listed.find((p) => p.name === 'sort')?.schema?.enum).toEqual(['name', 'updated', 'downloads']);
    expect(listed.find((p) => p.name === 'pageSize')?.schema?.type).toBe('number');
    expect(parameters('/api/v1/audit-events').map((p) => p.name).sort()).toEqual(['action', 'actor', 'from', 'page', 'pageSize', 'resource', 'to']);
  });
});
