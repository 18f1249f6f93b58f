import { DataSource } from 'typeorm';
import { Pool } from 'pg';
import { RegistrySchema1764230400000 } from './migrations/1764230400000-registry-schema';
import { IdentitySchema1764316800000 } from './migrations/1764316800000-identity-schema';
import { RepositoryAttributes1764403200000 } from './migrations/1764403200000-repository-attributes';
import { CredentialGeneration1764489600000 } from './migrations/1764489600000-credential-generation';
import { RegistryOutbox1764576000000 } from './migrations/1764576000000-registry-outbox';
import { GarbageCollection1764662400000 } from './migrations/1764662400000-garbage-collection';
import { PageUpload1764748800000 } from './migrations/1764748800000-page-upload';

/** Every migration, in order. Migrations are reviewed SQL; `synchronize` is never used. */
export const MIGRATIONS = [
  RegistrySchema1764230400000,
  IdentitySchema1764316800000,
  RepositoryAttributes1764403200000,
  CredentialGeneration1764489600000,
  RegistryOutbox1764576000000,
  GarbageCollection1764662400000,
  PageUpload1764748800000,
];

export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'wharf_migrations',
    synchronize: false,
    logging: false,
  });
}

/** Applies pending migrations (serialised across processes by TypeORM's transaction + table lock). */
export async function migrate(url: string): Promise<string[]> {
  const ds = createDataSource(url);
  await ds.initialize();
  // Two processes starting at once must not both run a migration: hold a session lock.
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(727001)');
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock(727001)').catch(() => undefined);
    await lock.release();
    await ds.destroy();
  }
}

export interface PoolTimeouts {
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = { statementTimeoutMs: 30_000, connectTimeoutMs: 5_000 };

/**
 * The pool the hot paths use directly (named prepared statements). Every statement and every
 * connection attempt has a time limit, so a stalled database gives callers a fast 503
 * (`dependencyDown`) instead of a request that hangs.
 */
export function createPool(url: string, max = 20, timeouts: PoolTimeouts = DEFAULT_POOL_TIMEOUTS): Pool {
  const pool = new Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    // The server cancels at statement_timeout; this bounds a server that does not answer at all.
    query_timeout: timeouts.statementTimeoutMs + 1_000,
  });
  // An idle connection can be cut (database restart, shutdown): the pool replaces it on next
  // use; without a listener the error would crash the process.
  pool.on('error', (err) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'idle database connection lost', error: err.message })}\n`));
  return pool;
}
