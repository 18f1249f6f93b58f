import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '@wharf/database';

export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

async function onServer(suiteDatabaseUrl: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: suiteDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * A migrated database of the test's own on the suite's Postgres server, for tests whose processes
 * must not see the rest of the suite's rows (an outbox no other registry relays, names such as
 * `demo` or `acme` that the README tours create). `drop` removes it, connections and all.
 */
export async function createOwnDatabase(suiteDatabaseUrl: string, prefix: string): Promise<OwnDatabase> {
  const name = `wharf_${prefix}_${randomBytes(4).toString('hex')}`;
  await onServer(suiteDatabaseUrl, `CREATE DATABASE ${name}`);
  const url = new URL(suiteDatabaseUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return { url: url.toString(), drop: () => onServer(suiteDatabaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
