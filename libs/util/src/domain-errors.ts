/**
 * Errors of the management domain (organizations, repositories, accounts): a code, a message and
 * for a bad request the field at fault, and no HTTP status. Domain services throw these and never
 * build responses; each surface maps the code to its answer once (the management API's
 * ApiErrorFilter: `{"error": {"code", "message", "field"?}}` with the status of its table).
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export type DomainErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT' | 'PAYLOAD_TOO_LARGE' | 'TOO_MANY_REQUESTS';

/** A request field is missing, of the wrong type, or out of range. */
export class ValidationError extends DomainError {
  constructor(field: string, message: string) {
    super('INVALID_ARGUMENT', message, field);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** A request body, or a part of it, is over a size or count limit. */
export class TooLargeError extends DomainError {
  constructor(message: string, field?: string) {
    super('PAYLOAD_TOO_LARGE', message, field);
  }
}

/** The caller has too much going on already (for example uploads in flight); retry later. */
export class TooManyRequestsError extends DomainError {
  constructor(message: string) {
    super('TOO_MANY_REQUESTS', message);
  }
}
