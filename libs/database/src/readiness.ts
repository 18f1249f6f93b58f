/**
 * What `/readyz` checks: each module that needs a dependency adds one check (Postgres by the
 * DatabaseModule, Redis by the auth and registry modules, storage by the registry). A check that
 * does not answer within `timeoutMs` counts as failed.
 */
export class ReadinessChecks {
  private readonly checks = new Map<string, () => Promise<unknown>>();

  add(name: string, check: () => Promise<unknown>): this {
    this.checks.set(name, check);
    return this;
  }

  /** The failed checks with their reasons; empty when everything answered. */
  async failures(timeoutMs = 2_000): Promise<Record<string, string>> {
    const failed: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          await Promise.race([check(), timeout]);
        } catch (err) {
          failed[name] = err instanceof Error ? err.message : String(err);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return failed;
  }
}
