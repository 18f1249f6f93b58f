import { OCI_ERROR_CODES, OciErrorCode } from './error-codes';

/**
 * A registry error. `message` defaults to the table's text; pass a specific one that names the
 * problem whenever there is something more useful to say. `detail` is free-form JSON.
 */
export class OciError extends Error {
  readonly status: number;
  constructor(
    readonly code: OciErrorCode,
    message?: string,
    readonly detail?: unknown,
    /** Extra response headers (for example `Range` on a 416, `Retry-After` on a 429). */
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? OCI_ERROR_CODES[code].message);
    this.name = 'OciError';
    this.status = OCI_ERROR_CODES[code].status;
  }
}

/** The response an error becomes: status, JSON body (the OCI envelope) and headers. */
export interface SerialisedError {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** The one serialiser: `{"errors":[{"code","message","detail"}]}`. Unknown errors become 500. */
export function serialiseError(err: unknown): SerialisedError {
  const e = err instanceof OciError ? err : new OciError('INTERNAL_ERROR');
  const entry: { code: string; message: string; detail?: unknown } = { code: e.code, message: e.message };
  if (e.detail !== undefined) entry.detail = e.detail;
  return {
    status: e.status,
    body: JSON.stringify({ errors: [entry] }),
    headers: { 'content-type': 'application/json; charset=utf-8', ...(e.headers ?? {}) },
  };
}
