import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry events outbox: a push or a delete writes its event here in the same statement or
 * transaction as the change, and every replica's relay moves rows to the `registry-events` queue
 * (deleting them), so an event is never lost to a Redis that is down at push time.
 */
export class RegistryOutbox1764576000000 implements MigrationInterface {
  name = 'RegistryOutbox1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry_outbox (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('manifest.pushed', 'tag.pushed', 'tag.deleted', 'manifest.deleted', 'repository.deleted')),
        repository text NOT NULL,
        digest text,
        tag text,
        actor text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS registry_outbox`);
  }
}
