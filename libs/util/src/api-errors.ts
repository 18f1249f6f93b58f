/**
 * Errors the management API turns into `{"error": {"code", "message", "field"?}}` with a status
 * (see ApiErrorFilter in @wharf/api-http). Domain services throw these; they never build responses.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400: a request field is missing, of the wrong type, or out of range. */
export class ValidationError extends ApiError {
  constructor(field: string, message: string) {
    super(400, 'INVALID_ARGUMENT', message, field);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, 'NOT_FOUND', message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message: string) {
    super(403, 'FORBIDDEN', message);
  }
}

export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, 'CONFLICT', message);
  }
}
