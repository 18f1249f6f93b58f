import type { Pool, PoolClient } from 'pg';

/**
 * The one way Wharf runs a multi-statement change: `fn` gets a client inside BEGIN; the change
 * commits when `fn` returns and rolls back when it throws (the error is rethrown). A body that
 * decides to change nothing just returns: committing reads and locks is the same as rolling back.
 */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
