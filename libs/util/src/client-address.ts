import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * The client's address behind trusted proxies (WHARF_TRUSTED_PROXIES: addresses, CIDRs, or
 * `loopback`, `linklocal`, `uniquelocal`): `X-Forwarded-For` is read from the right only while each
 * hop is trusted, so a client cannot name its own address. The same rule Express applies to
 * `req.ip` with `trust proxy` set to the same list (the Nest side), for the plain `/v2` handler.
 */
export function clientAddressResolver(trusted: string[]): (req: IncomingMessage) => string | null {
  const trust = proxyaddr.compile(trusted);
  return (req) => (req.socket ? proxyaddr(req, trust) : null);
}
