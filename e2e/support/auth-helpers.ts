import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestServer } from './test-server';

/** Fresh, collision-free names for one test. */
export function names(prefix: string): { account: string; user: string; org: string } {
  const id = randomBytes(4).toString('hex');
  return { account: `${prefix}-${id}`, user: `${prefix}${id}`, org: `${prefix}${id}` };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Requests a registry token; returns the raw response. */
export function tokenResponse(srv: TestServer, scopes: string[], auth?: string, service = 'wharf-registry'): Promise<Response> {
  const q = new URLSearchParams({ service });
  for (const s of scopes) q.append('scope', s);
  return fetch(`${srv.url}/token?${q}`, { headers: auth ? { authorization: auth } : {} });
}

export async function token(srv: TestServer, scopes: string[], auth?: string): Promise<string> {
  const res = await tokenResponse(srv, scopes, auth);
  if (res.status !== 200) throw new Error(`token answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Decodes a JWT's payload without verifying it (to assert on claims). */
export function claims(jwt: string): Record<string, unknown> & { access: { type: string; name: string; actions: string[] }[] } {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'));
}

/** The long-term login key computed by the exact shell pipeline the docs give users. */
export function loginKeyByShell(ak: string, sk: string): string {
  return execFileSync(
    'bash',
    ['-c', `printf "$AK" | openssl dgst -binary -sha256 -hmac "$SK" | od -An -vtx1 | sed 's/[ \\n]//g' | sed 'N;s/\\n//'`],
    { env: { ...process.env, AK: ak, SK: sk }, encoding: 'utf8' },
  ).replace(/\n/g, '');
}

export async function apiLogin(srv: TestServer, username: string, password: string): Promise<string> {
  const res = await fetch(`${srv.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export function api(srv: TestServer, path: string, bearer: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${srv.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}
