import { Pool } from 'pg';
import type { LevelValue, Visibility } from '@wharf/identity';
import type { Category, RepoListQuery, RepoRecord, RepoStore, TagRecord } from '@wharf/org-core';

const REPO_COLUMNS = `r.id, r.name, r.visibility, r.description, r.category, r.download_count, r.created_at, r.updated_at,
         o.id AS org_id, o.account_id, o.visibility AS org_visibility`;
const REPO_FROM = `FROM repositories r LEFT JOIN organizations o ON o.name = split_part(r.name, '/', 1)`;
const TAG_COUNT = `(SELECT count(*)::int FROM tags t WHERE t.repository_id = v.id) AS tag_count,
  (SELECT coalesce(sum(b.size), 0) FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = v.id) AS size`;
const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

function platformsOf(payload: Buffer | null): string[] {
  if (!payload) return [];
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { manifests?: { platform?: { os?: string; architecture?: string; variant?: string } }[] };
    return (doc.manifests ?? [])
      .map((m) => m.platform)
      .filter((p): p is { os: string; architecture: string; variant?: string } => !!p?.os && !!p.architecture)
      .map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('/'));
  } catch {
    return [];
  }
}

function toRepo(r: Record<string, unknown>): RepoRecord {
  return {
    id: String(r['id']),
    name: r['name'] as string,
    organization: r['org_id'] ? { id: String(r['org_id']), accountId: r['account_id'] as string, visibility: r['org_visibility'] as Visibility } : null,
    visibility: (r['visibility'] as Visibility | null) ?? null,
    description: r['description'] as string,
    category: r['category'] as Category,
    downloadCount: Number(r['download_count']),
    tagCount: r['tag_count'] as number,
    size: Number(r['size'] ?? 0),
    createdAt: r['created_at'] as Date,
    updatedAt: r['updated_at'] as Date,
    viewerShare: shareOf(r['viewer_share']),
  };
}

function shareOf(raw: unknown): { deadline: Date | null } | null {
  const share = raw as { deadline: string | null } | null | undefined;
  return share ? { deadline: share.deadline === null ? null : new Date(share.deadline) } : null;
}

/** `%` and `_` in a search string are literal. */
const like = (q: string | undefined) => (q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null);

const ORDER: Record<RepoListQuery['sort'], string> = {
  name: 'v.name',
  updated: 'v.updated_at DESC, v.name',
  downloads: 'v.download_count DESC, v.name',
};

/** RepoStore on Postgres: repository attributes, tags with sizes, shares and the audit log. */
export class PgRepoStore implements RepoStore {
  constructor(private readonly pool: Pool) {}

  async findRepository(name: string): Promise<RepoRecord | null> {
    const res = await this.pool.query({
      name: 'repo-find',
      text: `SELECT v.*, ${TAG_COUNT} FROM (SELECT ${REPO_COLUMNS} ${REPO_FROM} WHERE r.name = $1) v`,
      values: [name],
    });
    return res.rows[0] ? toRepo(res.rows[0]) : null;
  }

  async listRepositories(q: RepoListQuery): Promise<{ items: RepoRecord[]; total: number }> {
    const v = q.viewer;
    // Filter once into a CTE, count it, cut the page, and only then compute per-row extras (tag
    // counts): computed before OFFSET they would run for every skipped row.
    const res = await this.pool.query(
      `WITH v AS (SELECT ${REPO_COLUMNS} ${REPO_FROM}
        WHERE ($1 OR o.visibility = 'public' OR r.visibility = 'public' OR ($2 AND o.account_id = $3)
               OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = $4)
               OR EXISTS (SELECT 1 FROM repository_members m WHERE m.repository_id = r.id AND m.user_id = $4)
               OR EXISTS (SELECT 1 FROM shares s WHERE s.repository_id = r.id AND s.account_id = $3 AND (s.deadline IS NULL OR s.deadline > $12))
               -- "shared with me" also lists ended shares (marked expired); no other list shows them
               OR ($9 = 'shared-with-me' AND EXISTS (SELECT 1 FROM shares s WHERE s.repository_id = r.id AND s.account_id = $3)))
          AND ($5::text IS NULL OR o.name = $5)
          AND ($6::text IS NULL OR r.name LIKE $6)
          AND ($7::text IS NULL OR r.category = $7)
          AND ($8::text IS NULL OR coalesce(r.visibility, o.visibility, 'private') = $8)
          AND ($9::text IS NULL
               OR ($9 = 'mine' AND o.account_id = $3)
               OR ($9 = 'shared-with-me' AND EXISTS (SELECT 1 FROM shares s WHERE s.repository_id = r.id AND s.account_id = $3))
               OR ($9 = 'shared-by-me' AND o.account_id = $3 AND EXISTS (SELECT 1 FROM shares s WHERE s.repository_id = r.id))))
       SELECT v.*, ${TAG_COUNT}, (SELECT count(*) FROM v) AS total,
              (SELECT json_build_object('deadline', s.deadline) FROM shares s WHERE s.repository_id = v.id AND s.account_id = $3) AS viewer_share
         FROM (SELECT * FROM v ORDER BY ${ORDER[q.sort]} OFFSET $10 LIMIT $11) v ORDER BY ${ORDER[q.sort]}`,
      [v.isAdmin, v.isOwner, v.accountId, v.userId, q.org ?? null, like(q.q), q.category ?? null, q.visibility ?? null, q.filter ?? null, q.offset, q.limit, q.now],
    );
    return { items: res.rows.map(toRepo), total: res.rows[0] ? Number(res.rows[0].total) : 0 };
  }

  async updateRepository(id: string, c: { description?: string; category?: Category; visibility?: Visibility | null }): Promise<void> {
    await this.pool.query(
      `UPDATE repositories SET description = coalesce($2, description), category = coalesce($3, category),
              visibility = CASE WHEN $4 THEN $5 ELSE visibility END, updated_at = now() WHERE id = $1`,
      [id, c.description ?? null, c.category ?? null, c.visibility !== undefined, c.visibility ?? null],
    );
  }

  /** Deletes and writes the `repository.deleted` event to the outbox in one statement. */
  async setRepoMember(repositoryId: string, userId: string, level: LevelValue): Promise<void> {
    await this.pool.query(
      `INSERT INTO repository_members (repository_id, user_id, level) VALUES ($1, $2, $3)
       ON CONFLICT (repository_id, user_id) DO UPDATE SET level = EXCLUDED.level`,
      [repositoryId, userId, level],
    );
  }

  async removeRepoMember(repositoryId: string, userId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM repository_members WHERE repository_id = $1 AND user_id = $2', [repositoryId, userId]);
    return (res.rowCount ?? 0) > 0;
  }

  async listRepoMembers(repositoryId: string): Promise<{ username: string; level: LevelValue }[]> {
    const res = await this.pool.query(
      'SELECT u.username, m.level FROM repository_members m JOIN users u ON u.id = m.user_id WHERE m.repository_id = $1 ORDER BY u.username',
      [repositoryId],
    );
    return res.rows.map((r) => ({ username: r.username, level: r.level }));
  }

  async listTags(repositoryId: string, q: string | undefined, sort: 'name' | 'time', offset: number, limit: number): Promise<{ items: TagRecord[]; total: number }> {
    const res = await this.pool.query(
      `SELECT t.name, t.manifest_digest, m.media_type, t.updated_at, t.download_count, t.pushed_by, count(*) OVER () AS total,
              CASE WHEN m.media_type = ANY($5::text[]) THEN m.payload END AS index_payload,
              m.size + coalesce((SELECT sum(b.size) FROM manifest_references mr JOIN blobs b ON b.digest = mr.child_digest
                                  WHERE mr.repository_id = t.repository_id AND mr.manifest_digest = t.manifest_digest AND mr.kind <> 'manifest'), 0) AS size
         FROM tags t JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
        WHERE t.repository_id = $1 AND ($2::text IS NULL OR t.name LIKE $2)
        ORDER BY ${sort === 'time' ? 't.updated_at DESC, t.name' : 't.name'} OFFSET $3 LIMIT $4`,
      [repositoryId, like(q), offset, limit, INDEX_TYPES],
    );
    return {
      items: res.rows.map((r) => ({
        name: r.name,
        digest: r.manifest_digest,
        mediaType: r.media_type,
        size: Number(r.size),
        updatedAt: r.updated_at,
        pushedBy: r.pushed_by,
        downloadCount: Number(r.download_count),
        platforms: platformsOf(r.index_payload),
      })),
      total: res.rows[0] ? Number(res.rows[0].total) : 0,
    };
  }
}
