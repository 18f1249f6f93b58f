import { Client } from 'pg';

/**
 * Management list endpoints at scale (issue: 100,000 repositories and 1,000,000 tags). Seeds an
 * organization `scale` straight into Wharf's database (DATABASE_URL; 100,000 repositories with 10
 * tags each), then times the API and registry list calls against the running Wharf
 * (WHARF_BENCH_URL, admin password WHARF_BENCH_PASSWORD). Prints a markdown table.
 */
const REPOS = Number(process.env['SCALE_REPOS'] ?? 100_000);
const TAGS_PER_REPO = Number(process.env['SCALE_TAGS_PER_REPO'] ?? 10);

async function seed(db: Client): Promise<number> {
  const t0 = Date.now();
  await db.query('BEGIN');
  await db.query(`INSERT INTO organizations (name, account_id, visibility)
                  SELECT 'scale', account_id, 'private' FROM users WHERE is_admin LIMIT 1 ON CONFLICT (name) DO NOTHING`);
  await db.query(`INSERT INTO repositories (name, download_count)
                  SELECT 'scale/r' || lpad(i::text, 6, '0'), (i * 7919) % 1000 FROM generate_series(1, $1) i ON CONFLICT (name) DO NOTHING`, [REPOS]);
  await db.query(`INSERT INTO manifests (repository_id, digest, media_type, size, payload)
                  SELECT id, 'sha256:' || encode(sha256(name::bytea), 'hex'), 'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d'::bytea
                    FROM repositories WHERE name > 'scale/' AND name < 'scale0' ON CONFLICT DO NOTHING`);
  await db.query(`INSERT INTO tags (repository_id, name, manifest_digest)
                  SELECT m.repository_id, 'v' || g, m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id
                   CROSS JOIN generate_series(1, $1) g WHERE r.name > 'scale/' AND r.name < 'scale0' ON CONFLICT DO NOTHING`, [TAGS_PER_REPO]);
  await db.query('COMMIT');
  await db.query('ANALYZE');
  return (Date.now() - t0) / 1000;
}

async function median(fn: () => Promise<void>, n = 7): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)] as number;
}

async function main(): Promise<void> {
  const url = process.env['WHARF_BENCH_URL'] as string;
  const password = process.env['WHARF_BENCH_PASSWORD'] as string;
  const db = new Client({ connectionString: process.env['DATABASE_URL'] });
  await db.connect();
  const seconds = await seed(db);
  const counts = await db.query(`SELECT (SELECT count(*) FROM repositories) AS repos, (SELECT count(*) FROM tags) AS tags`);
  await db.end();

  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  const bearer = ((await login.json()) as { accessToken: string }).accessToken;
  const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const regToken = async (scope: string) =>
    ((await (await fetch(`${url}/token?service=wharf-registry&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic } })).json()) as { token: string }).token;
  const catalogToken = await regToken('registry:catalog:*');
  const tagsToken = await regToken('repository:scale/r050000:pull');

  const get = (path: string, auth: string) => async () => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: auth } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const rows: [string, string][] = [
    ['GET /api/v1/repositories?org=scale (page 1 of 20)', `/api/v1/repositories?org=scale&pageSize=20`],
    ['… deep page (page 4000 of 20)', `/api/v1/repositories?org=scale&pageSize=20&page=4000`],
    ['… sort=downloads', `/api/v1/repositories?org=scale&pageSize=20&sort=downloads`],
    ['… q=r0999 (substring search)', `/api/v1/repositories?org=scale&pageSize=20&q=r0999`],
    ['… filter=mine', `/api/v1/repositories?filter=mine&pageSize=20`],
    ['GET /api/v1/repositories/scale/r050000/tags', `/api/v1/repositories/scale/r050000/tags`],
  ];
  const out = [
    '## Management lists at scale',
    '',
    `Seeded ${counts.rows[0].repos} repositories and ${counts.rows[0].tags} tags in ${seconds.toFixed(1)} s; median of 7 sequential calls.`,
    '',
    '| call | median ms |',
    '|---|---|',
  ];
  for (const [label, path] of rows) out.push(`| ${label} | ${(await median(get(path, `Bearer ${bearer}`))).toFixed(1)} |`);
  out.push(`| GET /v2/_catalog?n=100&last=scale/r050000 | ${(await median(get('/v2/_catalog?n=100&last=scale%2Fr050000', `Bearer ${catalogToken}`))).toFixed(1)} |`);
  out.push(`| GET /v2/scale/r050000/tags/list | ${(await median(get('/v2/scale/r050000/tags/list', `Bearer ${tagsToken}`))).toFixed(1)} |`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
