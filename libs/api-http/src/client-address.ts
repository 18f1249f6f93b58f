import type { Request } from 'express';

/**
 * The client's address for rate limits, audit entries and logs: Express's `req.ip`, which reads
 * `X-Forwarded-For` only through the proxies in WHARF_TRUSTED_PROXIES (`trust proxy`).
 */
export function clientAddress(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}
