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
