import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import { Redis } from 'ioredis';
import { loadConfig } from '@wharf/config';
import { createStorageDriver } from '@wharf/storage';
import type { StorageDriver } from '@wharf/storage-api';
import { PathNotFoundError } from '@wharf/storage-api';
import { createOwnDatabase, OwnDatabase } from './own-database';
import { startRegistryProcess, TestRegistry } from './test-registry';
import { TEST_SECRET_KEY } from './test-server';

export const GC_ADMIN_PASSWORD = 'gc-admin-password';

/**
 * Single-machine mode as a process (registry, API and the gc worker) over a database of its own
 * (a collection sweeps the whole database: it must not see the rest of the suite's blobs) and a
 * Redis database index of its own (no other suite's gc worker may take its jobs).
 */
export interface GcServer {
  srv: TestRegistry;
  db: Pool;
  storage: StorageDriver;
  env: Record<string, string>;
  databaseUrl: string;
  bearer: string;
  /** Starts the server again on the same database, storage and Redis (after a kill). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface GcServerOptions {
  suiteDatabaseUrl: string;
  suiteRedisUrl: string;
  redisDb: number;
  graceSeconds: number;
  s3Endpoint?: string;
  prefix: string;
  /** More settings (page upload's suites use this server too: its worker must not be another suite's). */
  env?: Record<string, string>;
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: GC_ADMIN_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export async function startGcServer(o: GcServerOptions): Promise<GcServer> {
  const own: OwnDatabase = await createOwnDatabase(o.suiteDatabaseUrl, o.prefix);
  const redisUrl = new URL(o.suiteRedisUrl);
  redisUrl.pathname = `/${o.redisDb}`;
  const redis = new Redis(redisUrl.toString());
  await redis.flushdb(); // jobs of an earlier run of this file
  redis.disconnect();
  const bucket = `${o.prefix}-${process.pid}`;
  if (o.s3Endpoint) await fetch(`${o.s3Endpoint}/${bucket}`, { method: 'PUT' });
  const env: Record<string, string> = {
    REDIS_URL: redisUrl.toString(),
    WHARF_SECRET_KEY: TEST_SECRET_KEY,
    WHARF_ADMIN_PASSWORD: GC_ADMIN_PASSWORD,
    WHARF_GC_GRACE_SECONDS: String(o.graceSeconds),
    WHARF_LOG_LEVEL: 'warn',
    ...(o.s3Endpoint
      ? { WHARF_S3_BUCKET: bucket, WHARF_S3_ENDPOINT: o.s3Endpoint, WHARF_S3_ACCESS_KEY: 'test', WHARF_S3_SECRET_KEY: 'test' }
      : {}),
    ...o.env,
  };
  let srv = await startRegistryProcess(own.url, { app: 'server', env });
  const config = loadConfig({ WHARF_DATA_DIR: srv.dataDir, WHARF_FS_FSYNC: 'false', ...env });
  const server: GcServer = {
    srv,
    db: new Pool({ connectionString: own.url, max: 4 }),
    storage: createStorageDriver(config),
    env,
    databaseUrl: own.url,
    bearer: await login(srv.url),
    async restart() {
      srv = await startRegistryProcess(own.url, { app: 'server', env, dataDir: srv.dataDir });
      server.srv = srv;
      server.bearer = await login(srv.url);
    },
    async close() {
      await server.srv.close();
      await server.db.end();
      await own.drop();
    },
  };
  return server;
}

export function adminApi(s: GcServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.srv.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${s.bearer}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

export interface GcRunView {
  id: string;
  status: string;
  dryRun: boolean;
  blobsRemoved: number;
  bytesFreed: number;
  manifestsRemoved: number;
  uploadsRemoved: number;
  durationSeconds: number | null;
  errors: string[];
}

/** Requests a run and waits for it to end. */
export async function gcRun(s: GcServer, body: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<GcRunView> {
  const res = await adminApi(s, '/gc/runs', { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST /gc/runs answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return waitForRun(s, id, timeoutMs);
}

export async function waitForRun(s: GcServer, id: string, timeoutMs = 120_000, until = ['succeeded', 'failed']): Promise<GcRunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await (await adminApi(s, `/gc/runs/${id}`)).json()) as GcRunView;
    if (until.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Digests of every blob whose bytes are in storage (walking the layout `/blobs/sha256/<xx>/<hex>/data`). */
export async function storedBlobs(storage: StorageDriver): Promise<string[]> {
  const list = (p: string) => storage.list(p).catch((e) => (e instanceof PathNotFoundError ? [] : Promise.reject(e)));
  const out: string[] = [];
  for (const fan of await list('/blobs/sha256')) {
    for (const dir of await list(fan)) {
      if (await storage.stat(`${dir}/data`)) out.push(`sha256:${dir.slice(dir.lastIndexOf('/') + 1)}`);
    }
  }
  return out.sort();
}

/** Blob digests some manifest references (config or layer), and the blob rows, both sorted. */
export async function blobsInDatabase(db: Pool): Promise<{ referenced: string[]; rows: string[] }> {
  const referenced = await db.query(`SELECT DISTINCT child_digest AS d FROM manifest_references WHERE kind <> 'manifest' ORDER BY 1`);
  const rows = await db.query(`SELECT digest AS d FROM blobs ORDER BY 1`);
  return { referenced: referenced.rows.map((r) => r.d as string), rows: rows.rows.map((r) => r.d as string) };
}

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/**
 * Pulls `repo:reference` the way a client does and checks every digest: the manifest's bytes
 * against the digest it was asked by (or the tag's answer), each child manifest, config and layer.
 * Returns the problems found (empty: the image pulls whole).
 */
export async function verifyPull(base: string, repo: string, reference: string): Promise<string[]> {
  const problems: string[] = [];
  const res = await fetch(`${base}/v2/${repo}/manifests/${reference}`, { headers: { accept: ACCEPT } });
  if (res.status !== 200) return [`${repo}:${reference}: manifest answered ${res.status}`];
  const body = Buffer.from(await res.arrayBuffer());
  const digest = res.headers.get('docker-content-digest');
  if (digest !== `sha256:${sha256hex(body)}`) problems.push(`${repo}:${reference}: manifest digest ${digest} does not match its bytes`);
  const manifest = JSON.parse(body.toString('utf8')) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
  for (const child of manifest.manifests ?? []) problems.push(...(await verifyPull(base, repo, child.digest)));
  for (const blob of [manifest.config, ...(manifest.layers ?? [])].filter((b): b is { digest: string } => !!b)) {
    const got = await fetch(`${base}/v2/${repo}/blobs/${blob.digest}`);
    const bytes = Buffer.from(await got.arrayBuffer());
    if (got.status !== 200) problems.push(`${repo}:${reference}: blob ${blob.digest} answered ${got.status}`);
    else if (`sha256:${sha256hex(bytes)}` !== blob.digest) problems.push(`${repo}:${reference}: blob ${blob.digest} has other bytes`);
  }
  return problems;
}
