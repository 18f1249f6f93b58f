import type { IncomingMessage } from 'node:http';

const USER = Symbol('wharf.user');

/** Records who a request was made by (the `/v2` handler, once the token is verified), for the access log. */
export function noteRequestUser(req: IncomingMessage, user: string | null): void {
  (req as IncomingMessage & { [USER]?: string | null })[USER] = user;
}

/** Who made the request: as noted, or the API user passport put on it; null when anonymous or unknown. */
export function userOf(req: IncomingMessage): string | null {
  const r = req as IncomingMessage & { [USER]?: string | null; user?: { username?: unknown } };
  if (r[USER] !== undefined) return r[USER];
  return typeof r.user?.username === 'string' ? r.user.username : null;
}
