/**
 * The OCI reference grammar (distribution-spec "pulling manifests": `<name>`, `<reference>`),
 * narrowed by Wharf's product rules (SPEC §1): a repository name is `<organization>/<path>`,
 * the organization starts with a letter and is at most 64 characters, the rest at most 128.
 * Every check returns a message that names the broken rule, so callers can surface it as-is.
 */

/** One path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`. */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const COMPONENT_RE = new RegExp(`^${COMPONENT}$`);
/** A whole repository name as the OCI grammar defines it (used by the route parser). */
export const NAME_PATTERN = `${COMPONENT}(?:/${COMPONENT})*`;
export const TAG_PATTERN = '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}';
const TAG_RE = new RegExp(`^${TAG_PATTERN}$`);

export const MAX_NAME_LENGTH = 255;
export const MAX_ORG_LENGTH = 64;
export const MAX_REPO_PATH_LENGTH = 128;

/** Returns null when `org` is a valid organization name, otherwise why not. */
export function checkOrganizationName(org: string): string | null {
  if (org.length === 0) return 'organization name is empty';
  if (org.length > MAX_ORG_LENGTH) {
    return `organization name "${org}" is longer than ${MAX_ORG_LENGTH} characters`;
  }
  if (!/^[a-z]/.test(org)) return `organization name "${org}" must start with a lowercase letter`;
  if (!COMPONENT_RE.test(org)) {
    return `organization name "${org}" may contain only lowercase letters and digits separated by ".", "_", "__" or "-"`;
  }
  return null;
}

/** Returns null when `name` is a valid full repository name (`org/repo[/more]`), otherwise why not. */
export function checkRepositoryName(name: string): string | null {
  if (name.length > MAX_NAME_LENGTH) return `repository name is longer than ${MAX_NAME_LENGTH} characters`;
  const slash = name.indexOf('/');
  if (slash < 0) {
    return `repository name "${name}" must be <organization>/<repository>`;
  }
  const orgProblem = checkOrganizationName(name.slice(0, slash));
  if (orgProblem) return orgProblem;
  const rest = name.slice(slash + 1);
  if (rest.length === 0) return `repository name "${name}" has an empty repository part`;
  if (rest.length > MAX_REPO_PATH_LENGTH) {
    return `repository part of "${name}" is longer than ${MAX_REPO_PATH_LENGTH} characters`;
  }
  for (const component of rest.split('/')) {
    if (component.length === 0) return `repository name "${name}" has an empty path component`;
    if (!COMPONENT_RE.test(component)) {
      return `repository name component "${component}" may contain only lowercase letters and digits separated by ".", "_", "__" or "-"`;
    }
  }
  return null;
}

/** Returns null when `tag` matches the OCI tag grammar, otherwise why not. */
export function checkTag(tag: string): string | null {
  if (TAG_RE.test(tag)) return null;
  return `tag "${truncate(tag)}" must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`;
}

export function isTag(reference: string): boolean {
  return TAG_RE.test(reference);
}

/** The organization a repository name belongs to (its first path component). */
export function organizationOf(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(0, slash);
}

export function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
