/**
 * Bounds of an organization's repository names for `name > $lo AND name < $hi`: names are
 * `<org>/<repo…>` and sort in the "C" collation, where `0` follows `/`, so the range is an index
 * range scan on the unique name index and never matches `<org>x/…`.
 */
export function orgRepoRange(organization: string): [string, string] {
  return [`${organization}/`, `${organization}0`];
}
