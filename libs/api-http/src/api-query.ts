import { ValidationError } from '@wharf/util';

/** A request that takes no body fields (a create with nothing to choose): any field is refused by name. */
export function noBodyFields(body: unknown): void {
  if (body === undefined || body === null || body === '') return;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'request body must be a JSON object');
  const first = Object.keys(body)[0];
  if (first !== undefined) throw new ValidationError(first, `unknown field "${first}" (this request takes none)`);
}
