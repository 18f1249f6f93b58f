import type { Pool } from 'pg';
import type { GcBlob, GcManifest, GcPreview, GcStore } from '@wharf/registry-core';
import { withTransaction } from './transaction';

/** Whole-table statements of a run (mark, preview) may take longer than an API request's limit. */
const LONG_STATEMENT = `SET LOCAL statement_timeout = '15min'`;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A manifest (alias `m`) nothing keeps: no tag, no parent index in its repository, no subject there. */
const UNKEPT_MANIFEST = `
  NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest)
  AND NOT EXISTS (SELECT 1 FROM manifest_references p
                   WHERE p.repository_id = m.repository_id AND p.child_digest = m.digest AND p.kind = 'manifest')
  AND (m.subject_digest IS NULL
       OR NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest))`;

/** No manifest of any repository references blob `b` as its config or a layer. */
const UNREFERENCED_BLOB = `
  NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.child_digest = b.digest AND r.kind <> 'manifest')`;

/**
 * GcStore on Postgres: the collector's half of the locking protocol described in
 * `gc-store.port.ts` (the pushes' half is in PgRegistryStore). Every lock-then-recheck pair is two
 * statements in one transaction, so the re-check reads a snapshot taken after the lock was granted.
 */
export class PgGcStore implements GcStore {
  constructor(private readonly pool: Pool) {}

  async expireUploads(idleSince: Date, limit: number): Promise<string[]> {
    const res = await this.pool.query(
      `DELETE FROM uploads WHERE id IN (
         SELECT id FROM uploads WHERE updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id::text`,
      [idleSince, limit],
    );
    return res.rows.map((r) => r.id as string);
  }

  async liveUploads(ids: string[]): Promise<Set<string>> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return new Set();
    const res = await this.pool.query('SELECT id::text FROM uploads WHERE id = ANY($1::uuid[])', [valid]);
    return new Set(res.rows.map((r) => r.id as string));
  }

  async deleteUntaggedManifests(createdBefore: Date, limit: number): Promise<GcManifest[]> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query(LONG_STATEMENT);
      const locked = await tx.query(
        `SELECT m.repository_id, m.digest FROM manifests m
          WHERE m.created_at < $1 AND ${UNKEPT_MANIFEST}
          LIMIT $2 FOR UPDATE OF m SKIP LOCKED`,
        [createdBefore, limit],
      );
      if (locked.rowCount === 0) return [];
      // A fresh snapshot, after the locks: a tag or a parent that landed meanwhile keeps its manifest.
      const gone = await tx.query(
        `WITH gone AS (
           DELETE FROM manifests m USING unnest($1::bigint[], $2::text[]) AS c(rid, d)
            WHERE m.repository_id = c.rid AND m.digest = c.d AND ${UNKEPT_MANIFEST}
           RETURNING m.repository_id, m.digest),
         named AS (SELECT r.name, g.digest FROM gone g JOIN repositories r ON r.id = g.repository_id),
         event AS (INSERT INTO registry_outbox (kind, repository, digest) SELECT 'manifest.deleted', name, digest FROM named)
         SELECT name, digest FROM named`,
        [locked.rows.map((r) => r.repository_id), locked.rows.map((r) => r.digest)],
      );
      return gone.rows.map((r) => ({ repository: r.name as string, digest: r.digest as string }));
    });
  }

  async markBlobs(linkedBefore: Date): Promise<number> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query(LONG_STATEMENT);
      const res = await tx.query(
        `UPDATE blobs b SET state = 'candidate', marked_at = now()
          WHERE b.state = 'none' AND b.linked_at < $1 AND ${UNREFERENCED_BLOB}`,
        [linkedBefore],
      );
      return res.rowCount ?? 0;
    });
  }

  async claimCandidates(linkedBefore: Date, limit: number): Promise<number> {
    return withTransaction(this.pool, async (tx) => {
      // SKIP LOCKED: a candidate a manifest PUT holds is being referenced; it is re-checked next run.
      const locked = await tx.query(
        `SELECT digest FROM blobs WHERE state = 'candidate' ORDER BY digest LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (locked.rowCount === 0) return 0;
      await tx.query(
        `UPDATE blobs b
            SET state = CASE WHEN b.linked_at < $2 AND ${UNREFERENCED_BLOB} THEN 'deleting' ELSE 'none' END
          WHERE b.digest = ANY($1::text[])`,
        [locked.rows.map((r) => r.digest), linkedBefore],
      );
      return locked.rowCount ?? 0;
    });
  }

  async finishDeletions(
    limit: number,
    removeBytes: (blobs: GcBlob[]) => Promise<void>,
  ): Promise<{ blobs: GcBlob[]; repositories: string[] }> {
    return withTransaction(this.pool, async (tx) => {
      const locked = await tx.query(
        `SELECT digest, size FROM blobs WHERE state = 'deleting' ORDER BY digest LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      const blobs = locked.rows.map((r) => ({ digest: r.digest as string, size: Number(r.size) }));
      if (blobs.length === 0) return { blobs, repositories: [] };
      await removeBytes(blobs); // the rows stay locked: no commit of these digests can interleave
      const digests = blobs.map((b) => b.digest);
      const links = await tx.query(
        `WITH gone AS (DELETE FROM repository_blobs WHERE digest = ANY($1::text[]) RETURNING repository_id)
         SELECT DISTINCT r.name FROM gone g JOIN repositories r ON r.id = g.repository_id`,
        [digests],
      );
      await tx.query(`DELETE FROM blobs WHERE digest = ANY($1::text[])`, [digests]);
      return { blobs, repositories: links.rows.map((r) => r.name as string) };
    });
  }

  async preview(createdBefore: Date, idleSince: Date, deleteUntagged: boolean): Promise<GcPreview> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query(LONG_STATEMENT);
      const res = await tx.query(
        `WITH gm AS (SELECT m.repository_id, m.digest FROM manifests m WHERE $3 AND m.created_at < $1 AND ${UNKEPT_MANIFEST}),
              gb AS (SELECT b.size FROM blobs b
                      WHERE (b.state = 'deleting' OR b.linked_at < $1)
                        AND NOT EXISTS (SELECT 1 FROM manifest_references r
                                         WHERE r.child_digest = b.digest AND r.kind <> 'manifest'
                                           AND NOT EXISTS (SELECT 1 FROM gm WHERE gm.repository_id = r.repository_id
                                                                              AND gm.digest = r.manifest_digest)))
         SELECT (SELECT count(*) FROM gm)::bigint AS manifests, (SELECT count(*) FROM gb)::bigint AS blobs,
                (SELECT coalesce(sum(size), 0) FROM gb)::bigint AS bytes,
                (SELECT count(*) FROM uploads WHERE updated_at < $2)::bigint AS uploads`,
        [createdBefore, idleSince, deleteUntagged],
      );
      const row = res.rows[0];
      return { manifests: Number(row.manifests), blobs: Number(row.blobs), bytes: Number(row.bytes), uploads: Number(row.uploads) };
    });
  }
}
