import { checkRepositoryName } from '@wharf/oci-spec';
import { RegistryAction } from './permissions';

/**
 * Docker token scopes: `repository:<name>:<actions>` and `registry:catalog:*`. Parsing is strict:
 * a scope whose name breaks the OCI grammar (`../x`) is dropped, unknown actions are ignored,
 * and `*` is expanded to nothing (granted only as `registry:catalog:*`).
 */
export type Scope = { type: 'repository'; name: string; actions: RegistryAction[] } | { type: 'catalog' };

const KNOWN: ReadonlySet<string> = new Set(['pull', 'push', 'delete']);

export function parseScope(raw: string): Scope | null {
  if (raw === 'registry:catalog:*') return { type: 'catalog' };
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  const type = raw.slice(0, first);
  if (type !== 'repository') return null;
  const name = raw.slice(first + 1, last);
  // `repository(plugin):name` style resource classes are not supported; names never contain ':'.
  if (name.includes(':')) return null;
  if (checkRepositoryName(name) !== null) return null;
  const actions = [...new Set(raw.slice(last + 1).split(','))].filter((a): a is RegistryAction => KNOWN.has(a));
  return { type: 'repository', name, actions };
}

/** The `access` claim entry for a scope with its granted actions. */
export interface AccessEntry {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}
