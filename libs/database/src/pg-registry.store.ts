import { withTransaction } from './transaction';
import { Pool, PoolClient } from 'pg';
import { orgRepoRange } from './org-range';
import type { ManifestReference } from '@wharf/oci-spec';
import type {
  BlobRecord,
  CatalogViewer,
  ManifestRecord,
  NewManifest,
  ReferrerRecord,
  RegistryStore,
  UnlinkResult,
  UploadRecord,
} from '@wharf/registry-core';

/**
 * RegistryStore on Postgres through `pg` with named (prepared) statements: the pull path is one
 * indexed query per request. Repositories are addressed by name and joined on their unique index.
 */
export class PgRegistryStore implements RegistryStore {
  constructor(private readonly pool: Pool) {}

  private async one<T>(name: string, text: string, values: unknown[]): Promise<T | null> {
    const res = await this.pool.query({ name, text, values });
    return (res.rows[0] as T | undefined) ?? null;
  }

  /** Creates the repository when missing (uploads and links create it implicitly through `repositoryId`). */
  private async ensureRepository(name: string): Promise<void> {
    await this.repositoryId(this.pool, name);
  }

  /** Id of the repository, created when missing (race-safe). */
  private async repositoryId(db: Pool | PoolClient, name: string): Promise<string> {
    const found = await db.query({ name: 'repo-id', text: 'SELECT id FROM repositories WHERE name = $1', values: [name] });
    if (found.rows[0]) return found.rows[0].id as string;
    const created = await db.query({
      name: 'repo-create',
      text: `INSERT INTO repositories (name) VALUES ($1)
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      values: [name],
    });
    return created.rows[0].id as string;
  }

  async listRepositories(after: string | null, limit: number, viewer: CatalogViewer | null): Promise<string[]> {
    const res = viewer
      ? await this.pool.query({
          name: 'repo-list-visible',
          text: `SELECT r.name FROM repositories r
                   LEFT JOIN organizations o ON o.name = split_part(r.name, '/', 1)
                  WHERE r.name > $1 AND (
                        o.visibility = 'public' OR r.visibility = 'public'
                     OR ($4 AND o.account_id = $3)
                     OR (o.name = $5 AND o.account_id = $3)
                     OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = $6)
                     OR EXISTS (SELECT 1 FROM repository_members m WHERE m.repository_id = r.id AND m.user_id = $6)
                     OR EXISTS (SELECT 1 FROM shares s WHERE s.repository_id = r.id AND s.account_id = $3
                                  AND (s.deadline IS NULL OR s.deadline > now())))
                  ORDER BY r.name LIMIT $2`,
          values: [after ?? '', limit, viewer.accountId, viewer.ownerOfAccount, viewer.robotOrganization, viewer.userId],
        })
      : await this.pool.query({
          name: 'repo-list',
          text: 'SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2',
          values: [after ?? '', limit],
        });
    return res.rows.map((r) => r.name as string);
  }

  async findRepositoryBlob(repository: string, digest: string): Promise<BlobRecord | null> {
    const row = await this.one<{ size: string }>(
      'repo-blob',
      `SELECT b.size FROM repository_blobs rb
         JOIN repositories r ON r.id = rb.repository_id
         JOIN blobs b ON b.digest = rb.digest
        WHERE r.name = $1 AND rb.digest = $2 AND b.state <> 'deleting'`,
      [repository, digest],
    );
    return row ? { digest, size: Number(row.size) } : null;
  }

  async organizationId(name: string): Promise<string | null> {
    const res = await this.pool.query({ name: 'org-id', text: 'SELECT id FROM organizations WHERE name = $1', values: [name] });
    return res.rows[0] ? String(res.rows[0].id) : null;
  }

  async commitBlob(repository: string, blob: BlobRecord, place: (present: boolean) => Promise<void>): Promise<void> {
    const repositoryId = await this.repositoryId(this.pool, repository); // outside: no repository row lock held
    await withTransaction(this.pool, async (tx) => {
      let present = false;
      for (;;) {
        // Waits while a collector holds the row (it deletes bytes only under this lock).
        const row = await tx.query({ name: 'blob-lock', text: 'SELECT state FROM blobs WHERE digest = $1 FOR UPDATE', values: [blob.digest] });
        if (row.rows[0]) {
          present = row.rows[0].state !== 'deleting'; // a collector stopped mid-delete: bytes may be gone
          await tx.query({
            name: 'blob-revive',
            text: `UPDATE blobs SET state = 'none', linked_at = now(), marked_at = NULL WHERE digest = $1`,
            values: [blob.digest],
          });
          break;
        }
        const inserted = await tx.query({
          name: 'blob-insert',
          text: 'INSERT INTO blobs (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING',
          values: [blob.digest, blob.size],
        });
        if (inserted.rowCount) break; // ours, locked until commit
        // A concurrent commit of the same digest inserted it first: lock that row instead.
      }
      await place(present);
      await tx.query({
        name: 'blob-link-id',
        text: 'INSERT INTO repository_blobs (repository_id, digest) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        values: [repositoryId, blob.digest],
      });
    });
  }

  async linkBlob(repository: string, blob: BlobRecord): Promise<boolean> {
    // One round trip when the repository exists (a mount may be the repository's first blob):
    // revive the blob unless a collector has it, link it, and say what was found.
    const link = async () =>
      (
        await this.pool.query({
          name: 'blob-link',
          text: `WITH r AS (SELECT id FROM repositories WHERE name = $1),
                      b AS (UPDATE blobs SET state = 'none', linked_at = now(), marked_at = NULL
                             WHERE digest = $2 AND state <> 'deleting' AND EXISTS (SELECT 1 FROM r) RETURNING digest),
                      l AS (INSERT INTO repository_blobs (repository_id, digest) SELECT r.id, b.digest FROM r, b ON CONFLICT DO NOTHING)
                 SELECT (SELECT count(*) FROM r)::int AS found, (SELECT count(*) FROM b)::int AS linked`,
          values: [repository, blob.digest],
        })
      ).rows[0] as { found: number; linked: number };
    let result = await link();
    if (!result.found) {
      await this.repositoryId(this.pool, repository); // creates it
      result = await link();
    }
    return result.linked > 0;
  }

  async quotaExceeded(repository: string, blob: BlobRecord): Promise<{ organization: string; quota: number; used: number } | null> {
    const org = repository.slice(0, repository.indexOf('/'));
    const res = await this.pool.query({
      name: 'org-quota-check',
      text: `SELECT o.storage_quota_bytes AS quota, u.used, u.present
               FROM organizations o,
                    LATERAL (SELECT coalesce(sum(b.size), 0) AS used, bool_or(b.digest = $4) AS present
                               FROM blobs b WHERE b.digest IN (
                                 SELECT rb.digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
                                  WHERE r.name > $2 AND r.name < $3)) u
              WHERE o.name = $1 AND o.storage_quota_bytes IS NOT NULL`,
      values: [org, ...orgRepoRange(org), blob.digest],
    });
    const row = res.rows[0];
    if (!row || row.present) return null;
    const quota = Number(row.quota);
    const used = Number(row.used);
    return used + blob.size > quota ? { organization: org, quota, used } : null;
  }

  async unlinkBlob(repository: string, digest: string): Promise<UnlinkResult> {
    return withTransaction(this.pool, async (tx) => {
      const repo = await tx.query('SELECT id FROM repositories WHERE name = $1', [repository]);
      const id = repo.rows[0]?.id as string | undefined;
      if (!id) {
        return { kind: 'unknown' };
      }
      // Lock the link so a concurrent manifest PUT cannot start referencing it mid-delete.
      const link = await tx.query('SELECT 1 FROM repository_blobs WHERE repository_id = $1 AND digest = $2 FOR UPDATE', [
        id,
        digest,
      ]);
      if (link.rowCount === 0) {
        return { kind: 'unknown' };
      }
      const ref = await tx.query(
        `SELECT manifest_digest FROM manifest_references
          WHERE repository_id = $1 AND child_digest = $2 AND kind <> 'manifest' LIMIT 1`,
        [id, digest],
      );
      if (ref.rows[0]) {
        return { kind: 'referenced', manifest: ref.rows[0].manifest_digest as string };
      }
      await tx.query('DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2', [id, digest]);
      return { kind: 'unlinked' };
    });
  }

  async missingReferences(repository: string, references: ManifestReference[]): Promise<ManifestReference[]> {
    const blobs = [...new Set(references.filter((r) => r.kind !== 'manifest').map((r) => r.digest))];
    const manifests = [...new Set(references.filter((r) => r.kind === 'manifest').map((r) => r.digest))];
    const res = await this.pool.query({
      name: 'refs-present',
      text: `SELECT rb.digest, false AS is_manifest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
              WHERE r.name = $1 AND rb.digest = ANY($2::text[])
             UNION ALL
             SELECT m.digest, true FROM manifests m JOIN repositories r ON r.id = m.repository_id
              WHERE r.name = $1 AND m.digest = ANY($3::text[])`,
      values: [repository, blobs, manifests],
    });
    const presentBlobs = new Set(res.rows.filter((r) => !r.is_manifest).map((r) => r.digest as string));
    const presentManifests = new Set(res.rows.filter((r) => r.is_manifest).map((r) => r.digest as string));
    return references.filter((r) => !(r.kind === 'manifest' ? presentManifests : presentBlobs).has(r.digest));
  }

  /**
   * One statement (one round trip, atomic): manifest, its references, the tag, the repository's
   * update time and the push event in the outbox (`tag.pushed`, or `manifest.pushed` by digest). The tag's
   * foreign key is checked at the end of the statement, when the manifest row exists. A
   * repository that does not exist yet (a manifest with no blobs, e.g. an empty index) is
   * created and the statement retried.
   */
  async putManifest(m: NewManifest): Promise<boolean> {
    const values = [
      m.repository,
      m.digest,
      m.mediaType,
      m.artifactType,
      m.payload.length,
      m.payload,
      m.subjectDigest,
      m.annotations,
      m.references.map((r) => r.digest),
      m.references.map((r) => r.kind),
      m.tag,
      m.pushedBy,
    ];
    for (let attempt = 0; attempt < 3; attempt++) {
      let res;
      try {
        res = await this.pool.query({ name: 'manifest-put', text: PUT_MANIFEST_SQL, values });
      } catch (err) {
        // The manifest row this tag would point at was deleted (by garbage collection) while the
        // statement ran: the next attempt stores the manifest afresh.
        if ((err as { code?: string }).code === '23503' && attempt < 2) continue;
        throw err;
      }
      if (res.rowCount) return res.rows[0].stored as boolean;
      await this.ensureRepository(m.repository);
    }
    throw new Error(`repository ${m.repository} could not be created`);
  }

  async findManifest(repository: string, digest: string): Promise<ManifestRecord | null> {
    const row = await this.one<{ media_type: string; payload: Buffer }>(
      'manifest-get',
      `SELECT m.media_type, m.payload FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.name = $1 AND m.digest = $2`,
      [repository, digest],
    );
    return row ? { digest, mediaType: row.media_type, payload: row.payload } : null;
  }

  async resolveTag(repository: string, tag: string): Promise<string | null> {
    const row = await this.one<{ manifest_digest: string }>(
      'tag-resolve',
      `SELECT t.manifest_digest FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = $1 AND t.name = $2`,
      [repository, tag],
    );
    return row?.manifest_digest ?? null;
  }

  /** Deletes and writes the `manifest.deleted` event to the outbox in one statement. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const res = await this.pool.query({
      name: 'manifest-delete',
      text: `WITH gone AS (
               DELETE FROM manifests m USING repositories r WHERE r.id = m.repository_id AND r.name = $1 AND m.digest = $2
               RETURNING m.digest),
             event AS (INSERT INTO registry_outbox (kind, repository, digest) SELECT 'manifest.deleted', $1, digest FROM gone)
             SELECT 1 FROM gone`,
      values: [repository, digest],
    });
    return (res.rowCount ?? 0) > 0;
  }

  /** Deletes and writes the `tag.deleted` event to the outbox in one statement. */
  async deleteTag(repository: string, tag: string): Promise<boolean> {
    const res = await this.pool.query({
      name: 'tag-delete',
      text: `WITH gone AS (
               DELETE FROM tags t USING repositories r WHERE r.id = t.repository_id AND r.name = $1 AND t.name = $2
               RETURNING t.manifest_digest),
             event AS (INSERT INTO registry_outbox (kind, repository, digest, tag) SELECT 'tag.deleted', $1, manifest_digest, $2 FROM gone)
             SELECT 1 FROM gone`,
      values: [repository, tag],
    });
    return (res.rowCount ?? 0) > 0;
  }

  async deleteTags(repository: string, tags: string[]): Promise<string[]> {
    const res = await this.pool.query(
      `WITH gone AS (
         DELETE FROM tags t USING repositories r WHERE r.id = t.repository_id AND r.name = $1 AND t.name = ANY($2::text[])
         RETURNING t.name, t.manifest_digest),
       event AS (INSERT INTO registry_outbox (kind, repository, digest, tag) SELECT 'tag.deleted', $1, manifest_digest, name FROM gone)
       SELECT name FROM gone`,
      [repository, tags],
    );
    return res.rows.map((r) => r.name as string).sort();
  }

  async deleteRepository(repository: string): Promise<boolean> {
    const res = await this.pool.query(
      `WITH gone AS (DELETE FROM repositories WHERE name = $1 RETURNING name),
       event AS (INSERT INTO registry_outbox (kind, repository) SELECT 'repository.deleted', name FROM gone)
       SELECT 1 FROM gone`,
      [repository],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** One round trip and one row: the page comes back as a text array (cheaper than a row per tag). */
  async listTags(repository: string, after: string | null, limit: number | null): Promise<string[] | null> {
    const res = await this.pool.query({
      name: 'tag-list',
      text: `SELECT (SELECT coalesce(array_agg(name), '{}') FROM
                       (SELECT name FROM tags WHERE repository_id = r.id AND name > $2 ORDER BY name LIMIT $3) page) AS tags
               FROM repositories r WHERE r.name = $1`,
      values: [repository, after ?? '', limit],
    });
    return res.rows[0] ? (res.rows[0].tags as string[]) : null;
  }

  async listReferrers(repository: string, subject: string, artifactType: string | null): Promise<ReferrerRecord[]> {
    const res = await this.pool.query({
      name: 'referrers',
      text: `SELECT m.digest, m.media_type, m.artifact_type, m.size, m.annotations
               FROM manifests m JOIN repositories r ON r.id = m.repository_id
              WHERE r.name = $1 AND m.subject_digest = $2 AND ($3::text IS NULL OR m.artifact_type = $3)
              ORDER BY m.created_at, m.digest`,
      values: [repository, subject, artifactType],
    });
    return res.rows.map((r) => ({
      digest: r.digest as string,
      mediaType: r.media_type as string,
      artifactType: (r.artifact_type as string | null) ?? null,
      size: Number(r.size),
      annotations: (r.annotations as Record<string, string> | null) ?? null,
    }));
  }

  async createUpload(id: string, repository: string): Promise<void> {
    // One round trip when the repository exists (the usual case); else create it and insert.
    const insert = () =>
      this.pool.query({
        name: 'upload-create',
        text: 'INSERT INTO uploads (id, repository_id) SELECT $1, id FROM repositories WHERE name = $2',
        values: [id, repository],
      });
    if ((await insert()).rowCount) return;
    await this.repositoryId(this.pool, repository); // creates it
    await insert();
  }

  async findUpload(id: string): Promise<UploadRecord | null> {
    const row = await this.one<{ name: string; created_at: Date }>(
      'upload-get',
      'SELECT r.name, u.created_at FROM uploads u JOIN repositories r ON r.id = u.repository_id WHERE u.id = $1',
      [id],
    );
    return row ? { id, repository: row.name, createdAt: row.created_at } : null;
  }

  async touchUpload(id: string): Promise<UploadRecord | null> {
    const res = await this.pool.query({
      name: 'upload-touch',
      text: `UPDATE uploads u SET updated_at = now() FROM repositories r
              WHERE u.id = $1 AND r.id = u.repository_id RETURNING r.name, u.created_at`,
      values: [id],
    });
    const row = res.rows[0] as { name: string; created_at: Date } | undefined;
    return row ? { id, repository: row.name, createdAt: row.created_at } : null;
  }

  async deleteUpload(id: string): Promise<void> {
    await this.pool.query({ name: 'upload-delete', text: 'DELETE FROM uploads WHERE id = $1', values: [id] });
  }
}

/**
 * One statement (one round trip, atomic) for a manifest PUT: see `putManifest`. $9/$10 are the
 * references' digests and kinds, $11 the tag (or null), $12 the pusher.
 */
const PUT_MANIFEST_SQL = `WITH repo AS (SELECT id FROM repositories WHERE name = $1),
       -- A re-tag of a manifest the repository has: its blobs are referenced by it, so never
       -- being collected, and nothing is inserted but the tag (whose foreign key holds the
       -- manifest; if collection deleted it meanwhile, the key fails and the caller retries).
       existing AS (SELECT 1 FROM manifests WHERE repository_id = (SELECT id FROM repo) AND digest = $2),
       -- Else the referenced blobs, share-locked against the garbage collector (which takes
       -- them FOR UPDATE and re-checks references under that lock); all must be there.
       need AS (SELECT DISTINCT c FROM unnest($9::text[], $10::text[]) AS t(c, k) WHERE k <> 'manifest'),
       locked AS (SELECT digest FROM blobs WHERE digest IN (SELECT c FROM need) AND state <> 'deleting'
                     AND NOT EXISTS (SELECT 1 FROM existing) FOR KEY SHARE),
       ok AS (SELECT EXISTS (SELECT 1 FROM existing) OR (SELECT count(*) FROM locked) = (SELECT count(*) FROM need) AS all_there),
       ins AS (
         INSERT INTO manifests (repository_id, digest, media_type, artifact_type, size, payload, subject_digest, annotations)
         SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM repo, ok WHERE ok.all_there AND NOT EXISTS (SELECT 1 FROM existing)
         ON CONFLICT DO NOTHING RETURNING repository_id),
       refs AS (
         INSERT INTO manifest_references (repository_id, manifest_digest, child_digest, kind)
         SELECT ins.repository_id, $2, c, k FROM ins, unnest($9::text[], $10::text[]) AS t(c, k) ON CONFLICT DO NOTHING),
       tag AS (
         INSERT INTO tags (repository_id, name, manifest_digest, pushed_by)
         SELECT id, $11, $2, $12 FROM repo, ok WHERE $11::text IS NOT NULL AND ok.all_there
         ON CONFLICT (repository_id, name) DO UPDATE
           SET manifest_digest = EXCLUDED.manifest_digest, pushed_by = EXCLUDED.pushed_by, updated_at = now()),
       -- "updated" for the console, written at most once a second per repository so parallel
       -- tag pushes do not queue on the repository row.
       touch AS (
         UPDATE repositories SET updated_at = now()
          WHERE id = (SELECT id FROM repo) AND updated_at < now() - interval '1 second' AND (SELECT all_there FROM ok)),
       event AS (
         INSERT INTO registry_outbox (kind, repository, digest, tag, actor)
         SELECT CASE WHEN $11::text IS NULL THEN 'manifest.pushed' ELSE 'tag.pushed' END, $1, $2, $11, $12 FROM repo, ok WHERE ok.all_there)
       SELECT id, (SELECT all_there FROM ok) AS stored FROM repo`;
