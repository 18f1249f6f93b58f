/**
 * The one table of registry error codes (OCI distribution-spec "error codes", plus the
 * Docker-era UNAUTHORIZED/DENIED/TOOMANYREQUESTS the clients rely on): code, default message,
 * HTTP status. Everything the registry answers with an error goes through `OciError`.
 */
export const OCI_ERROR_CODES = {
  BLOB_UNKNOWN: { message: 'blob unknown to registry', status: 404 },
  BLOB_UPLOAD_INVALID: { message: 'blob upload invalid', status: 400 },
  BLOB_UPLOAD_UNKNOWN: { message: 'blob upload unknown to registry', status: 404 },
  DIGEST_INVALID: { message: 'provided digest did not match uploaded content', status: 400 },
  MANIFEST_BLOB_UNKNOWN: { message: 'manifest references a manifest or blob unknown to registry', status: 400 },
  MANIFEST_INVALID: { message: 'manifest invalid', status: 400 },
  MANIFEST_UNKNOWN: { message: 'manifest unknown to registry', status: 404 },
  NAME_INVALID: { message: 'invalid repository name', status: 400 },
  NAME_UNKNOWN: { message: 'repository name not known to registry', status: 404 },
  SIZE_INVALID: { message: 'provided length did not match content length', status: 400 },
  UNAUTHORIZED: { message: 'authentication required', status: 401 },
  DENIED: { message: 'requested access to the resource is denied', status: 403 },
  UNSUPPORTED: { message: 'the operation is unsupported', status: 405 },
  TOOMANYREQUESTS: { message: 'too many requests', status: 429 },
  RANGE_INVALID: { message: 'requested range not satisfiable', status: 416 },
  PAYLOAD_TOO_LARGE: { message: 'request body exceeds the configured limit', status: 413 },
  PAGINATION_NUMBER_INVALID: { message: 'invalid number of results requested', status: 400 },
  INVALID_ARGUMENT: { message: 'a request parameter is malformed', status: 400 },
  NOT_FOUND: { message: 'no such registry endpoint', status: 404 },
  METHOD_NOT_ALLOWED: { message: 'method not allowed on this endpoint', status: 405 },
  STORAGE_FULL: { message: 'the registry storage is full', status: 507 },
  UNAVAILABLE: { message: 'a service Wharf depends on is unavailable; try again shortly', status: 503 },
  INTERNAL_ERROR: { message: 'internal server error', status: 500 },
} as const;

export type OciErrorCode = keyof typeof OCI_ERROR_CODES;
