import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

/**
 * Helpers for the servers single-machine mode runs itself (Postgres, Redis): free ports, pid
 * files left by a killed start, apt installs. The test runner uses the same ones.
 */

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

export type Log = (message: string) => void;

/** A problem the operator fixes (a busy data directory, a server that would not start): printed without a stack. */
export class StartupError extends Error {}

/** A port nothing listens on now (the kernel picks it), so neighbouring starts never collide. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** The command line of a live process, or null when no such process runs. */
function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

function readPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * A server left running by a start that was killed (kill -9 leaves children behind): when the
 * pid file names a live process whose command line contains `command`, stop it (SIGTERM, then
 * SIGKILL after 10 s) so this start can use its data directory.
 */
export async function stopLeftover(pidFile: string, command: string, log: Log): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === null || !commandLine(pid)?.includes(command)) return;
  log(`stopping ${command} (pid ${pid}) left running by an earlier start`);
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; commandLine(pid) !== null; waited += 100) {
    if (waited === 10_000) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One Wharf per data directory: a second start with the same directory would share (and then
 * stop) the first one's Postgres and Redis. Throws a message naming the running process.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = `${dataDir}/wharf.pid`;
  const pid = readPid(file);
  if (pid !== null && pid !== process.pid && commandLine(pid)?.includes('node')) {
    throw new StartupError(`another Wharf (pid ${pid}) is running with the data directory ${dataDir}: stop it first, or set WHARF_DATA_DIR`);
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => rmSync(file, { force: true });
}

/** Written by a running single-machine Wharf (0600) for `npm run admin`: where its embedded servers listen. */
export const RUN_FILE = 'run.json';

export function writeRunFile(dataDir: string, urls: { databaseUrl: string; redisUrl: string }): () => void {
  const file = `${dataDir}/${RUN_FILE}`;
  writeFileSync(file, JSON.stringify(urls), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/**
 * Starts a server in its own process group, so Ctrl-C in the terminal reaches only Wharf, which
 * then closes its connections before it stops the server (no connection errors on the way out).
 */
export function spawnServer(command: string, args: string[], options: { uid?: number; gid?: number } = {}) {
  return spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs Debian packages when running as root: refreshes the package lists first when a
 * package is not known yet (a fresh machine has none), prints one line, and on failure throws
 * with the end of apt's output. Not root: throws with the command to run.
 */
export async function aptInstall(packages: string[], why: string, log: Log): Promise<void> {
  if (process.getuid?.() !== 0) throw new StartupError(`${why}: run \`sudo apt-get install -y ${packages.join(' ')}\``);
  const run = (args: string[]) =>
    new Promise<{ ok: boolean; output: string }>((resolve) =>
      execFile('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        resolve({ ok: !err, output: `${stdout}${stderr}` }),
      ),
    );
  const started = Date.now();
  const known = spawnSync('apt-cache', ['show', ...packages], { stdio: 'ignore' }).status === 0;
  if (!known) await run(['update', '-qq']);
  const result = await run(['install', '-y', '-qq', ...packages]);
  if (!result.ok) throw new StartupError(`apt-get install ${packages.join(' ')} failed:\n${result.output.split('\n').slice(-15).join('\n')}`);
  log(`installed ${packages.join(' ')} with apt-get (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
