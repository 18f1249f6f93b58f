import type { IncomingMessage } from 'node:http';
import type { CatalogViewer } from '@wharf/registry-core';

/**
 * The seam where authentication and authorisation slot in before every registry handler. The
 * token implementation (auth issue) verifies a Bearer JWT locally and throws UNAUTHORIZED with a
 * `WWW-Authenticate` challenge; `AllowAllAccess` is the explicit WHARF_AUTH=none development mode.
 */
export const ACCESS_CONTROL = Symbol('ACCESS_CONTROL');

export type RegistryAction = 'pull' | 'push' | 'delete';

export interface AccessRequest {
  /** `repository:<name>` scope; null for the ping and the catalog. */
  repository: string | null;
  actions: RegistryAction[];
  catalog?: boolean;
  /**
   * Optional scope the request can use but does not need: a mount's source (`pull`). A challenge
   * asks for it too, so a client following it gets a token that lets the mount happen.
   */
  optional?: { repository: string; actions: RegistryAction[] };
}

export interface Principal {
  /** Username, or null for anonymous access. */
  subject: string | null;
  /** The verified token claims, when a token was presented. */
  claims?: unknown;
}

export interface AccessControl {
  /** Resolves with who is calling when every action is allowed; throws an OciError otherwise. */
  authorize(req: IncomingMessage, need: AccessRequest): Promise<Principal>;
  /** Whether the caller may pull `repository` too (cross-repository mount source). */
  canPull(req: IncomingMessage, principal: Principal, repository: string): Promise<boolean>;
  /** Whose view of the catalog to list; null lists every repository. */
  catalogViewer(principal: Principal): CatalogViewer | null;
}

export class AllowAllAccess implements AccessControl {
  async authorize(): Promise<Principal> {
    return { subject: null };
  }
  async canPull(): Promise<boolean> {
    return true;
  }
  catalogViewer(): CatalogViewer | null {
    return null;
  }
}
