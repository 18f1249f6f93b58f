import { randomUUID } from 'node:crypto';
import { OciTestClient, sha256 } from '@wharf/testing';
import { basic, names } from './auth-helpers';
import type { TestServer } from './test-server';

/** Helpers of the token-auth suites, over the suite's server (read when called). */
export function tokenFixtures(server: () => TestServer) {
  const registry = (path: string, bearer: string | null, init: RequestInit = {}) =>
    fetch(`${server().url}${path}`, { ...init, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(init.headers ?? {}) } });

  /** The reason the audit log keeps for the newest refused login of `actor` (clients see one message). */
  async function refusalReason(actor: string): Promise<string> {
    const r = await server().pool.query(`SELECT detail->>'reason' AS reason FROM audit_events WHERE actor = $1 AND action = 'login' ORDER BY id DESC LIMIT 1`, [actor]);
    return String(r.rows[0]?.reason);
  }

  /** An account with its owner; returns credentials and ids. */
  async function owner(prefix: string, quota?: number) {
    const n = names(prefix);
    const password = `pw-${randomUUID()}`;
    const ids = await server().accounts.createAccountWithOwner(n.account, n.user, password, quota);
    return { ...n, ...ids, password, auth: basic(n.user, password) };
  }

  /** Pushes one small image with a token. */
  async function pushWith(bearer: string, repo: string, tag = 'v1'): Promise<Response> {
    const c = new OciTestClient(server().url);
    const headers = { authorization: `Bearer ${bearer}` };
    const config = Buffer.from(`{"n":"${randomUUID()}"}`);
    const blob = await c.request(`/v2/${repo}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config, headers });
    if (blob.status !== 201) return blob;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    });
    return c.request(`/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  }

  return { registry, refusalReason, owner, pushWith };
}
