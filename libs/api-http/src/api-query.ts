import { ValidationError } from '@wharf/util';

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

/** A request that takes no body fields (a create with nothing to choose): any field is refused by name. */
export function noBodyFields(body: unknown): void {
  if (body === undefined || body === null || body === '') return;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'request body must be a JSON object');
  const first = Object.keys(body)[0];
  if (first !== undefined) throw new ValidationError(first, `unknown field "${first}" (this request takes none)`);
}
