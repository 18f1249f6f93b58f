import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { ApiError, ValidationError } from '@wharf/util';
import { storeErrorAsOci } from '@wharf/database';
import { OciError, serialiseError } from '@wharf/oci-errors';

/** Token endpoint errors in the Docker/OCI envelope, which docker, podman and containerd print. */
@Catch()
export class DockerErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const known = storeErrorAsOci(err) ?? err;
    const e = serialiseError(known instanceof HttpException ? new OciError(known.getStatus() === 401 ? 'UNAUTHORIZED' : 'DENIED', known.message) : known);
    res.status(e.status).set(e.headers).send(e.body);
  }
}

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

/** Management API errors: `{"error": {"code", "message", "field"?}}` (SPEC §12). */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const stored = storeErrorAsOci(err);
    let status = 500;
    let body: { code: string; message: string; field?: string } = { code: 'INTERNAL_ERROR', message: 'internal server error' };
    if (err instanceof ApiError) {
      status = err.status;
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
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'api request failed', requestId, method: req.method, url: req.originalUrl, error: String((err as Error)?.stack ?? err) })}\n`,
      );
      if (typeof requestId === 'string') body = { code: 'INTERNAL_ERROR', message: `internal server error (request id ${requestId})` };
    }
    res.status(status).json({ error: body });
  }
}

/** Reads a JSON body as an object with only the allowed fields, naming the first unknown one. */
export function bodyObject(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'request body must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new ValidationError(key, `unknown field "${key}" (allowed: ${allowed.join(', ') || 'none'})`);
  }
  return body as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, field: string, options: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[field];
  if (v === undefined) {
    if (options.required) throw new ValidationError(field, `${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ValidationError(field, `${field} must be a string`);
  if (options.max !== undefined && v.length > options.max) throw new ValidationError(field, `${field} must be at most ${options.max} characters`);
  return v;
}

/** Rejects query parameters the endpoint does not know, naming the first. */
export function onlyQuery(query: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(query)) if (!allowed.includes(key)) throw new ValidationError(key, `unknown query parameter "${key}" (allowed: ${allowed.join(', ')})`);
}

/** `page` (from 1) and `pageSize` (1–100, default 20) query parameters, validated. */
export function pagination(query: Record<string, unknown>): { page: number; pageSize: number } {
  const num = (field: string, fallback: number, max: number) => {
    const raw = query[field];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < 1 || n > max) throw new ValidationError(field, `${field} must be an integer from 1 to ${max}`);
    return n;
  };
  return { page: num('page', 1, 1_000_000), pageSize: num('pageSize', 20, 100) };
}

/** Pages an in-memory list (short lists: members, robots, keys) with the same query rules. */
export function pageOf<T>(all: { items: T[]; total: number }, query: Record<string, unknown>): { items: T[]; total: number } {
  onlyQuery(query, ['page', 'pageSize']);
  const { page, pageSize } = pagination(query);
  return { items: all.items.slice((page - 1) * pageSize, page * pageSize), total: all.total };
}
