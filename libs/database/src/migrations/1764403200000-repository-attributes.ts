import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Repository attributes shown and edited in the console (description, category), download
 * counters (flushed in batches), who pushed a tag, and indexes for searching the audit log.
 */
export class RepositoryAttributes1764403200000 implements MigrationInterface {
  name = 'RepositoryAttributes1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE repositories
        ADD COLUMN description text NOT NULL DEFAULT '' CHECK (length(description) <= 30000),
        ADD COLUMN category text NOT NULL DEFAULT 'other'
          CHECK (category IN ('app-server', 'linux', 'windows', 'arm', 'framework-app', 'database', 'language', 'other')),
        ADD COLUMN download_count bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE tags ADD COLUMN download_count bigint NOT NULL DEFAULT 0, ADD COLUMN pushed_by text`);
    await q.query(`CREATE INDEX audit_events_action_idx ON audit_events (action, at)`);
    await q.query(`CREATE INDEX audit_events_resource_idx ON audit_events (resource, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_events_resource_idx`);
    await q.query(`DROP INDEX IF EXISTS audit_events_action_idx`);
    await q.query(`ALTER TABLE tags DROP COLUMN IF EXISTS download_count, DROP COLUMN IF EXISTS pushed_by`);
    await q.query(`ALTER TABLE repositories DROP COLUMN IF EXISTS description, DROP COLUMN IF EXISTS category, DROP COLUMN IF EXISTS download_count`);
  }
}
