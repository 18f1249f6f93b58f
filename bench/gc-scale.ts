import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createStorageDriver } from '@wharf/storage';
import { forEachLimit } from '@wharf/util';

/**
 * Garbage collection at scale (issue #13), against the running Wharf after list-scale.ts seeded
 * 100,000 repositories with 1,000,000 tags: gives each seeded manifest three blob references
 * (a pool of 30,000 blobs), adds GARBAGE (100,000) unreferenced blobs linked two hours ago with
 * their files in the filesystem storage, then times through the API a dry run (the mark's
 * queries over everything) and a real run (mark and sweep), while wrk measures manifest GETs at
 * 16 connections over the whole run, against 5 s without a run. Also the S3 driver's batched delete of
 * GARBAGE_S3 objects on a local moto server when python3 has moto. Prints a markdown table (the
 * filesystem rows first, then the S3 row).
 * Needs DATABASE_URL, WHARF_BENCH_URL, WHARF_BENCH_PASSWORD, WHARF_DATA_DIR, WHARF_PID.
 */
const GARBAGE = Number(process.env['GC_GARBAGE'] ?? 100_000);
// Putting the objects into moto is the slow part (~200 a second); the delete rate is the measure.
const GARBAGE_S3 = Number(process.env['GC_GARBAGE_S3'] ?? 10_000);
const LOAD_SECONDS = 5;

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

async function seed(db: Client, dataDir: string): Promise<number> {
  const t0 = Date.now();
  await db.query(`INSERT INTO blobs (digest, size, linked_at)
                  SELECT 'sha256:' || encode(sha256(('pool' || g)::bytea), 'hex'), 1000, now() - interval '2 hours'
                    FROM generate_series(1, 30000) g ON CONFLICT DO NOTHING`);
  await db.query(`INSERT INTO manifest_references (repository_id, manifest_digest, child_digest, kind)
                  SELECT m.repository_id, m.digest, 'sha256:' || encode(sha256(('pool' || ((m.repository_id * 3 + k) % 30000 + 1))::bytea), 'hex'),
                         CASE WHEN k = 0 THEN 'config' ELSE 'layer' END
                    FROM manifests m JOIN repositories r ON r.id = m.repository_id CROSS JOIN generate_series(0, 2) k
                   WHERE r.name > 'scale/' AND r.name < 'scale0' ON CONFLICT DO NOTHING`);
  const digests: string[] = [];
  const root = join(dataDir, 'blobs/files/blobs/sha256');
  for (let i = 0; i < GARBAGE; i++) {
    const body = `garbage ${i} ${randomBytes(6).toString('hex')}`;
    const h = hex(body);
    mkdirSync(join(root, h.slice(0, 2), h), { recursive: true });
    writeFileSync(join(root, h.slice(0, 2), h, 'data'), body);
    digests.push(`sha256:${h}`);
  }
  for (let i = 0; i < digests.length; i += 10_000) {
    await db.query(`INSERT INTO blobs (digest, size, linked_at) SELECT d, 40, now() - interval '2 hours' FROM unnest($1::text[]) d`, [digests.slice(i, i + 10_000)]);
  }
  await db.query('ANALYZE');
  return (Date.now() - t0) / 1000;
}

function wrk(url: string, auth: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', '-c16', `-d${seconds}s`, '-H', `Authorization: ${auth}`, '-H', 'Accept: application/vnd.oci.image.manifest.v1+json', url]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)));
  });
}

function peakRss(pid: string): { stop: () => number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kib);
    } catch {
      // the process is gone
    }
  }, 50);
  return { stop: () => (clearInterval(timer), Math.round(peak / 1024)) };
}

interface Run {
  status: string;
  durationSeconds: number;
  blobsRemoved: number;
  manifestsRemoved: number;
}

/**
 * Requests a run and waits for it; with `load`, wrk runs back to back in 2 s slices for as long as
 * the run does, and the result is the mean req/s of those slices (the first: the mark and the first
 * sweeps; the rest: the sweep).
 */
async function gcRun(url: string, bearer: string, dryRun: boolean, load?: (seconds: number) => Promise<number>): Promise<{ run: Run; slices: number[] }> {
  const res = await fetch(`${url}/api/v1/gc/runs`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify({ dryRun }) });
  const { id } = (await res.json()) as { id: string };
  let done: Run | null = null;
  const slices: number[] = [];
  const measuring = (async () => {
    while (load && !done) slices.push(await load(2));
  })();
  for (;;) {
    const run = (await (await fetch(`${url}/api/v1/gc/runs/${id}`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as Run;
    if (run.status === 'succeeded' || run.status === 'failed') {
      done = run;
      await measuring;
      return { run, slices };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The S3 driver's batched delete against a local moto server: keys per second. */
async function s3Deletes(): Promise<string> {
  try {
    execFileSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' });
  } catch {
    return `| S3 DeleteObjects batches (moto) | not measured: python3 has no moto |`;
  }
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) if (await fetch(endpoint).then(() => true, () => false)) break; else await new Promise((r) => setTimeout(r, 100));
    await fetch(`${endpoint}/gc-bench`, { method: 'PUT' });
    const s3 = { bucket: 'gc-bench', region: 'us-east-1', endpoint, accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, prefix: '', redirect: false };
    const driver = createStorageDriver({ storage: 's3', s3, dataDir: '', fsFsync: false, fsDirectIo: false });
    const paths = Array.from({ length: GARBAGE_S3 }, (_, i) => `/blobs/sha256/${hex(String(i)).slice(0, 2)}/${hex(String(i))}/data`);
    await forEachLimit(paths, 64, (p) => driver.putContent(p, Buffer.from(p)));
    const t0 = process.hrtime.bigint();
    await driver.deleteMany(paths);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const left = await driver.list('/blobs/sha256').catch(() => []);
    return `| S3 delete of ${GARBAGE_S3.toLocaleString('en')} blobs, DeleteObjects of 1,000 (moto) | ${s.toFixed(2)} s, ${Math.round(GARBAGE_S3 / s).toLocaleString('en')} deletions/s${left.length ? `; ${left.length} prefixes left!` : ''} |`;
  } finally {
    moto.kill();
  }
}

async function main(): Promise<void> {
  const url = process.env['WHARF_BENCH_URL'] as string;
  const password = process.env['WHARF_BENCH_PASSWORD'] as string;
  const db = new Client({ connectionString: process.env['DATABASE_URL'] });
  await db.connect();
  const seconds = await seed(db, process.env['WHARF_DATA_DIR'] as string);
  const counts = (await db.query(`SELECT (SELECT count(*) FROM tags) AS tags, (SELECT count(*) FROM repositories) AS repos,
                                         (SELECT count(*) FROM blobs) AS blobs, (SELECT count(*) FROM manifest_references) AS refs`)).rows[0];
  await db.end();

  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  const bearer = ((await login.json()) as { accessToken: string }).accessToken;
  const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const pullToken = ((await (await fetch(`${url}/token?service=wharf-registry&scope=repository:scale/r050000:pull`, { headers: { authorization: basic } })).json()) as { token: string }).token;
  const manifestUrl = `${url}/v2/scale/r050000/manifests/v1`;
  const auth = `Bearer ${pullToken}`;

  const without = await wrk(manifestUrl, auth, LOAD_SECONDS);
  const rss = peakRss(process.env['WHARF_PID'] as string);
  const dry = await gcRun(url, bearer, true);
  const real = await gcRun(url, bearer, false, (seconds) => wrk(manifestUrl, auth, seconds));
  const during = real.slices.reduce((n, x) => n + x, 0) / real.slices.length;
  const first = real.slices[0] ?? NaN;
  const peak = rss.stop();
  const rate = real.run.blobsRemoved / real.run.durationSeconds;
  const out = [
    '## Garbage collection at scale',
    '',
    `${Number(counts.tags).toLocaleString('en')} tags in ${Number(counts.repos).toLocaleString('en')} repositories, ${Number(counts.refs).toLocaleString('en')} blob references, ` +
      `${Number(counts.blobs).toLocaleString('en')} blob rows of which ${GARBAGE.toLocaleString('en')} unreferenced (seeded in ${seconds.toFixed(1)} s); filesystem storage, fsync on.`,
    '',
    '| measure | result |',
    '|---|---|',
    `| dry run (every mark query over all of it, nothing removed) | ${dry.run.durationSeconds} s (${dry.run.status}; would remove ${dry.run.blobsRemoved.toLocaleString('en')} blobs) |`,
    `| run: mark and sweep | ${real.run.durationSeconds} s (${real.run.status}), ${real.run.blobsRemoved.toLocaleString('en')} blobs removed: ${Math.round(rate).toLocaleString('en')} deletions/s |`,
    `| manifest GET c16 during the whole run (${real.slices.length} slices of 2 s) / without (req/s) | ${Math.round(during)} / ${Math.round(without)} (${((100 * during) / without).toFixed(0)} %) |`,
    `| … in the first 2 s (the mark) | ${Math.round(first)} (${((100 * first) / without).toFixed(0)} %) |`,
    `| Wharf resident memory, peak during both runs | ${peak} MiB |`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(`${await s3Deletes()}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
