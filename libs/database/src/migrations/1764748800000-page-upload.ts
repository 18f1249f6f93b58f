import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Page upload (SPEC §6): one row per uploaded archive, from the moment its bytes start arriving
 * (`receiving`) through the `imports` worker (`queued`, `importing`) to its end (`succeeded` with
 * the images and tags imported, or `failed` with the reason). The files of one request share a
 * `batch_id` and are imported in `created_at` order (clock time, so rows of one request differ).
 */
export class PageUpload1764748800000 implements MigrationInterface {
  name = 'PageUpload1764748800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imports (
        id uuid PRIMARY KEY,
        batch_id uuid NOT NULL,
        organization text NOT NULL,
        file_name text NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        username text NOT NULL,
        status text NOT NULL DEFAULT 'receiving' CHECK (status IN ('receiving', 'queued', 'importing', 'succeeded', 'failed')),
        phase text CHECK (phase IN ('verifying', 'storing')),
        bytes_total bigint,
        bytes_done bigint NOT NULL DEFAULT 0,
        images jsonb NOT NULL DEFAULT '[]',
        error text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX imports_batch_idx ON imports (batch_id, created_at)`);
    await q.query(`CREATE INDEX imports_unfinished_idx ON imports (user_id) WHERE status IN ('receiving', 'queued', 'importing')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS imports`);
  }
}
