import { OciError } from '@wharf/oci-errors';

/**
 * Postgres errors that a client's input caused (a NUL byte, a date out of range, a malformed
 * value): the message to answer 400 with. Null for anything else, which is a server fault.
 * Each surface (the `/api` filter, the token filter, the `/v2` handler) maps this once.
 */
export function clientInputProblem(err: unknown): string | null {
  switch ((err as { code?: unknown } | null)?.code) {
    case '22021': // character_not_in_repertoire: NUL or invalid UTF-8
    case '22P05':
      return 'a value contains a NUL byte or is not valid UTF-8';
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
      return 'a date or time is malformed or out of range';
    case '22003': // numeric_value_out_of_range
      return 'a number is out of range';
    case '22P02': // invalid_text_representation (a malformed id)
      return 'a value is malformed';
    default:
      return null;
  }
}

/**
 * Errors that say a data store (Postgres, Redis) did not answer: down, unreachable, or over its
 * time limit. Callers answer 503 with Retry-After; the message names the store, never SQL.
 */
export function dependencyDown(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  // Postgres: statement timeout or cancel, shutting down, connection failures; pg's own time limits.
  if (code === '57014' || code.startsWith('57P') || code.startsWith('08')) return 'the database is unavailable';
  if (/timeout exceeded when trying to connect|Connection terminated|Query read timeout/.test(message)) return 'the database is unavailable';
  // ioredis: command time limit, no connection (the offline queue is off), retries used up.
  if (e?.name === 'MaxRetriesPerRequestError' || /Command timed out|Stream isn't writeable|Connection is closed/.test(message)) {
    return 'the cache is unavailable';
  }
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ECONNRESET') return 'a data store is unavailable';
  return null;
}

/**
 * A data store's error as what the caller should see: 400 for input it could not take (a NUL
 * byte, a date out of range), 503 with Retry-After when it did not answer. Null otherwise.
 */
export function storeErrorAsOci(err: unknown): OciError | null {
  const input = clientInputProblem(err);
  if (input) return new OciError('INVALID_ARGUMENT', input);
  if ((err as { code?: unknown } | null)?.code === '53100') return new OciError('STORAGE_FULL', 'the database disk is full; nothing was stored');
  const down = dependencyDown(err);
  if (down) return new OciError('UNAVAILABLE', `${down}; try again shortly`, undefined, { 'retry-after': '5' });
  return null;
}

