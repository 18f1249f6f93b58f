import type { NextFunction, Request, Response } from 'express';

/** The OpenAPI page's own scripts and styles only; nothing may frame any API answer. */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * Headers on every answer of the Nest side (`/api`, `/api/docs`, `/token`): no MIME sniffing, no
 * framing, no `X-Powered-By`; `Cache-Control: no-store` on every `/api` answer, which carries
 * tokens and secrets (login, temporary logins, access keys) or per-user data.
 */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.removeHeader('x-powered-by');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  const path = req.originalUrl ?? req.url;
  res.setHeader('content-security-policy', path.startsWith('/api/docs') ? DOCS_CSP : "default-src 'none'; frame-ancestors 'none'");
  if (path.startsWith('/api/')) res.setHeader('cache-control', 'no-store');
  next();
}
