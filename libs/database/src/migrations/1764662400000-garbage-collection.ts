import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Online garbage collection. Each blob has a state the collector moves it through under row locks
 * (see `GcStore` in registry-core for the protocol): `none` → `candidate` (no manifest references
 * it and it was last linked before the grace window) → `deleting` (re-checked under the row lock;
 * its bytes may be partly gone) → row deleted. A push that links the blob again puts it back to
 * `none`. `linked_at` is when an upload or a mount last linked it (the grace window's clock).
 * `gc_runs` is the history the API shows; `retention_policies` and `retention_runs` are the
 * per-repository tag retention rules and what each run removed.
 */
export class GarbageCollection1764662400000 implements MigrationInterface {
  name = 'GarbageCollection1764662400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE blobs
        ADD COLUMN state text NOT NULL DEFAULT 'none' CHECK (state IN ('none', 'candidate', 'deleting')),
        ADD COLUMN linked_at timestamptz,
        ADD COLUMN marked_at timestamptz`);
    await q.query(`UPDATE blobs SET linked_at = created_at`);
    await q.query(`ALTER TABLE blobs ALTER COLUMN linked_at SET NOT NULL, ALTER COLUMN linked_at SET DEFAULT now()`);
    await q.query(`CREATE INDEX blobs_gc_state_idx ON blobs (state) WHERE state <> 'none'`);
    // "Is this blob referenced by any manifest of any repository": the sweeper's re-check.
    await q.query(`CREATE INDEX manifest_references_blob_idx ON manifest_references (child_digest) WHERE kind <> 'manifest'`);
    await q.query(`
      CREATE TABLE gc_runs (
        id uuid PRIMARY KEY,
        trigger text NOT NULL CHECK (trigger IN ('api', 'schedule')),
        requested_by text,
        dry_run boolean NOT NULL,
        keep_untagged boolean NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        blobs_removed bigint NOT NULL DEFAULT 0,
        bytes_freed bigint NOT NULL DEFAULT 0,
        manifests_removed bigint NOT NULL DEFAULT 0,
        uploads_removed bigint NOT NULL DEFAULT 0,
        errors jsonb NOT NULL DEFAULT '[]'
      )`);
    await q.query(`CREATE INDEX gc_runs_created_idx ON gc_runs (created_at DESC, id DESC)`);
    // Retention: which tags a repository keeps (the rest are deleted by a run; GC frees the bytes).
    await q.query(`
      CREATE TABLE retention_policies (
        repository_id bigint PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
        keep_last integer CHECK (keep_last BETWEEN 1 AND 1000),
        keep_days integer CHECK (keep_days BETWEEN 1 AND 365),
        exceptions text[] NOT NULL DEFAULT '{}',
        daily boolean NOT NULL DEFAULT false,
        updated_by text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (keep_last IS NOT NULL OR keep_days IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE retention_runs (
        id uuid PRIMARY KEY,
        repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        trigger text NOT NULL CHECK (trigger IN ('api', 'schedule')),
        requested_by text,
        dry_run boolean NOT NULL,
        removed text[] NOT NULL,
        kept integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX retention_runs_repository_idx ON retention_runs (repository_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS retention_runs`);
    await q.query(`DROP TABLE IF EXISTS retention_policies`);
    await q.query(`DROP TABLE IF EXISTS gc_runs`);
    await q.query(`DROP INDEX IF EXISTS manifest_references_blob_idx`);
    await q.query(`DROP INDEX IF EXISTS blobs_gc_state_idx`);
    await q.query(`ALTER TABLE blobs DROP COLUMN state, DROP COLUMN linked_at, DROP COLUMN marked_at`);
  }
}
