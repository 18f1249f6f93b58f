import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry's metadata. Names and tags use the "C" collation so ORDER BY is the byte-wise
 * lexical order the OCI spec asks for in tag lists and the catalog, and pagination (`last`) is an
 * index range scan. Blobs are registry-wide (one row, one copy per digest); repositories link to
 * the blobs they may serve. Manifest bytes live here (they are small and read on every pull).
 */
export class RegistrySchema1764230400000 implements MigrationInterface {
  name = 'RegistrySchema1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE repositories (
        id bigserial PRIMARY KEY,
        name text COLLATE "C" NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE blobs (
        digest text COLLATE "C" PRIMARY KEY,
        size bigint NOT NULL CHECK (size >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE repository_blobs (
        repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        digest text COLLATE "C" NOT NULL REFERENCES blobs(digest),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repository_id, digest)
      )`);
    await q.query(`CREATE INDEX repository_blobs_digest_idx ON repository_blobs (digest)`);
    await q.query(`
      CREATE TABLE manifests (
        repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        digest text COLLATE "C" NOT NULL,
        media_type text NOT NULL,
        artifact_type text,
        size integer NOT NULL,
        payload bytea NOT NULL,
        subject_digest text COLLATE "C",
        annotations jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repository_id, digest)
      )`);
    await q.query(
      `CREATE INDEX manifests_subject_idx ON manifests (repository_id, subject_digest) WHERE subject_digest IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE manifest_references (
        repository_id bigint NOT NULL,
        manifest_digest text COLLATE "C" NOT NULL,
        child_digest text COLLATE "C" NOT NULL,
        kind text NOT NULL CHECK (kind IN ('config', 'layer', 'manifest')),
        PRIMARY KEY (repository_id, manifest_digest, child_digest, kind),
        FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX manifest_references_child_idx ON manifest_references (repository_id, child_digest)`);
    await q.query(`
      CREATE TABLE tags (
        repository_id bigint NOT NULL,
        name text COLLATE "C" NOT NULL,
        manifest_digest text COLLATE "C" NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repository_id, name),
        FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX tags_manifest_idx ON tags (repository_id, manifest_digest)`);
    await q.query(`
      CREATE TABLE uploads (
        id uuid PRIMARY KEY,
        repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX uploads_updated_idx ON uploads (updated_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['uploads', 'tags', 'manifest_references', 'manifests', 'repository_blobs', 'blobs', 'repositories']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
