import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanUpStarted, killStarted, npmStart } from './support/npm-start';
import { freePort } from './support/test-registry';

/**
 * `npm start` itself, as a user runs it in a terminal (its own process group, Ctrl-C to the whole
 * group): embedded Postgres and Redis, the printed administrator password, restarts, a killed
 * start, a second start on the same data directory, and the operator's `npm run admin`.
 * Needs nothing from the test runner: it starts its own servers, as `npm start` does.
 */
const root = join(__dirname, '..');
const workdir = () => process.env['WHARF_TEST_WORKDIR'] ?? '/tmp';

function tokenStatus(url: string, password: string, user = 'admin'): Promise<number> {
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return fetch(`${url}/token?service=wharf-registry`, { headers: { authorization: auth } }).then((r) => r.status);
}

function admin(dataDir: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('npm', ['run', '-s', 'admin', '--', ...args], { cwd: root, env: { ...process.env, WHARF_DATA_DIR: dataDir }, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const generatedPassword = (output: string) => /generated password: (\S+)/.exec(output)?.[1];

describe('npm start (single-machine mode)', () => {
  let dataDir: string;
  let port: number;
  let password: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(workdir(), 'npm-start-'));
    port = await freePort();
  });
  afterEach(killStarted);
  afterAll(cleanUpStarted);

  it('first start prints the generated admin password once, Ctrl-C stops quietly, a restart keeps the data', async () => {
    const first = await npmStart(dataDir, port);
    password = generatedPassword(first.output()) as string;
    expect(password).toMatch(/^\S{12,}$/);
    expect(await tokenStatus(first.url, password)).toBe(200);
    const login = await fetch(`${first.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const created = await fetch(`${first.url}/api/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept-across-restarts' }),
    });
    expect(created.status).toBe(201);
    expect(await first.ctrlC()).toBe(0);
    expect(first.output()).not.toMatch(/ioredis|ECONNREFUSED|Error|Unhandled/);

    const second = await npmStart(dataDir, port);
    try {
      expect(generatedPassword(second.output())).toBeUndefined();
      expect(await tokenStatus(second.url, password)).toBe(200);
      const again = await fetch(`${second.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      const token = ((await again.json()) as { accessToken: string }).accessToken;
      const org = await fetch(`${second.url}/api/v1/organizations/kept-across-restarts`, { headers: { authorization: `Bearer ${token}` } });
      expect(org.status).toBe(200);
    } finally {
      await second.ctrlC();
    }
  });

  it('a second start on the same data directory refuses, naming the running one, which keeps serving', async () => {
    const running = await npmStart(dataDir, port);
    try {
      const other = spawnSync('bash', [join(root, 'scripts/start.sh')], {
        cwd: root,
        env: { ...process.env, WHARF_DATA_DIR: dataDir, WHARF_PORT: String(await freePort()) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(other.status).toBe(1);
      expect(other.stderr).toContain(`another Wharf (pid`);
      expect(other.stderr).toContain(dataDir);
      expect(other.stderr).not.toContain('    at ');
      expect(await tokenStatus(running.url, password)).toBe(200);
    } finally {
      await running.ctrlC();
    }
  });

  it('after a kill -9 the next start stops the Postgres and Redis left behind and serves the same data', async () => {
    const killed = await npmStart(dataDir, port);
    // start.sh ends in `exec node …`: the child is the Wharf process itself.
    expect(readFileSync(`/proc/${killed.child.pid}/cmdline`, 'utf8')).toContain('dist/apps/server/src/main.js');
    process.kill(killed.child.pid as number, 'SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    const next = await npmStart(dataDir, port);
    try {
      expect(next.output()).toContain('left running by an earlier start');
      expect(await tokenStatus(next.url, password)).toBe(200);
    } finally {
      await next.ctrlC();
    }
  });

  it('a locked-out administrator gets back in with npm run admin (unlock, reset-password)', async () => {
    const wharf = await npmStart(dataDir, port);
    try {
      for (let i = 0; i < 5; i++) expect(await tokenStatus(wharf.url, 'wrong-password')).toBe(401);
      expect(await tokenStatus(wharf.url, password)).toBe(429);
      const unlocked = admin(dataDir, 'unlock', 'admin');
      expect(unlocked).toEqual({ status: 0, out: expect.stringContaining('"admin" may sign in again (1 failed-login lock cleared)') });
      expect(await tokenStatus(wharf.url, password)).toBe(200);

      const reset = admin(dataDir, 'reset-password', 'admin');
      expect(reset.status).toBe(0);
      const fresh = /new password of "admin": (\S+)/.exec(reset.out)?.[1] as string;
      expect(await tokenStatus(wharf.url, password)).toBe(401);
      expect(await tokenStatus(wharf.url, fresh)).toBe(200);
      password = fresh;
      expect(admin(dataDir, 'unlock', 'nobody-here')).toEqual({ status: 1, out: expect.stringContaining('no user named "nobody-here"') });
    } finally {
      await wharf.ctrlC();
    }
    // Stopped: the command starts the embedded servers itself.
    expect(admin(dataDir, 'unlock', 'admin').status).toBe(0);
  });

  it('WHARF_AUTH=none says loudly that anyone may push and pull', async () => {
    const open = await npmStart(mkdtempSync(join(workdir(), 'npm-start-open-')), await freePort(), { WHARF_AUTH: 'none' });
    try {
      expect(open.output()).toContain('WARNING: WHARF_AUTH=none: anyone who can reach this address may push and pull');
      expect((await fetch(`${open.url}/v2/_catalog`)).status).toBe(200);
    } finally {
      await open.ctrlC();
    }
  });
});
