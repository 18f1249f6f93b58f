/**
 * Test-side gate for external servers, clients and privileges. The test runner
 * (`scripts/test-runner.mjs`) starts every server and exports its address; a developer running one
 * spec file by hand may not have it. Outside CI the tests skip with a visible `SKIPPED: <why>`
 * line; under CI=true nothing may skip, so a missing service fails the file instead. Every skip in
 * the suite goes through `skipOrFail`.
 */
export function requireService(envVar: string, what: string): string | undefined {
  const value = process.env[envVar];
  if (value) return value;
  // The test runner says why it could not provide it (and which package to install).
  const reason = process.env[`${envVar}_UNAVAILABLE`] ?? `${envVar} is unset; run the suite with npm test, which starts it`;
  skipOrFail(`${what} is not available: ${reason}`);
  return undefined;
}

/** True when the tests run as root (mounting, dockerd, writing under /etc); otherwise skips (or fails under CI). */
export function requireRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  skipOrFail(`${what} needs root: run the suite as root`);
  return false;
}

function skipOrFail(why: string): void {
  if (process.env['CI'] === 'true') {
    throw new Error(`${why}: under CI=true nothing may skip`);
  }
  process.stdout.write(`SKIPPED: ${why}\n`);
  test.skip(`SKIPPED: ${why}`, () => undefined);
}
