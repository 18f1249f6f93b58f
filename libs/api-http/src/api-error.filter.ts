import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, DomainErrorCode } from '@wharf/util';
import { storeErrorAsOci } from '@wharf/database';
import { OciError } from '@wharf/oci-errors';
import type { Logger } from '@wharf/observability';

/** The status of each domain error code on this surface (the domain itself knows no HTTP). */
const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
};
/** OCI codes whose status differs on this surface from the registry's table. */
const API_STATUS: Record<string, number> = { UNAUTHORIZED: 401, DENIED: 403, TOOMANYREQUESTS: 429 };
/** Codes for the framework's own errors (unknown route, bad JSON, body over the limit). */
const HTTP_CODES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function isBodyParserError(err: unknown): err is { status: number; message: string } {
  const e = err as { status?: unknown; type?: unknown; expose?: unknown } | null;
  // body-parser's errors (http-errors): a client fault with a 4xx status, including a client that left mid-body.
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.type === 'string' && e.expose === true;
}

/**
 * Management API errors: `{"error": {"code", "message", "field"?}}` (SPEC §12), for every error
 * of every Nest route, including unknown routes, bad JSON and DTO validation. Registered once,
 * globally (ApiHttpModule); the token endpoint overrides it with the Docker envelope.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const stored = storeErrorAsOci(err);
    let status = 500;
    let body: { code: string; message: string; field?: string } = { code: 'INTERNAL_ERROR', message: 'internal server error' };
    if (err instanceof DomainError) {
      status = DOMAIN_STATUS[err.code];
      body = err.field ? { code: err.code, message: err.message, field: err.field } : { code: err.code, message: err.message };
    } else if (err instanceof OciError) {
      status = API_STATUS[err.code] ?? err.status;
      body = { code: err.code, message: err.message };
      if (err.headers) res.set(err.headers);
    } else if (err instanceof HttpException) {
      status = err.getStatus();
      const req = host.switchToHttp().getRequest<{ method?: string; path?: string }>();
      const message = status === 404 ? `no API endpoint ${req.method} ${String(req.path).slice(0, 200)}` : err.message;
      body = { code: HTTP_CODES[status] ?? 'HTTP_ERROR', message };
      if (status === 400 && /JSON/.test(err.message)) body = { code: 'INVALID_ARGUMENT', message: `request body is not valid JSON: ${err.message}`, field: 'body' };
    } else if (isBodyParserError(err)) {
      // Express's body parser (bad JSON, a body over the limit) throws before any Nest handler.
      status = err.status;
      body = status === 413 ? { code: 'PAYLOAD_TOO_LARGE', message: 'request body is over the limit' } : { code: 'INVALID_ARGUMENT', message: err.message, field: 'body' };
    } else if (stored) {
      const e = stored;
      status = e.status;
      body = { code: e.code, message: e.message };
      if (e.headers) res.set(e.headers);
    } else {
      const req = host.switchToHttp().getRequest<{ headers: Record<string, unknown>; method?: string; originalUrl?: string }>();
      const requestId = req.headers['x-request-id'];
      this.logger.error({ requestId, method: req.method, url: req.originalUrl, error: String((err as Error)?.stack ?? err) }, 'api request failed');
      if (typeof requestId === 'string') body = { code: 'INTERNAL_ERROR', message: `internal server error (request id ${requestId})` };
    }
    res.status(status).json({ error: body });
  }
}

