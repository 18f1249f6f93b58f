import { ChildProcess, spawn } from 'node:child_process';
import { lstatSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const running = new Set<ChildProcess>();
const dataDirs = new Set<string>();

/**
 * After a suite: kills what is left running and removes every data directory `npmStart` used,
 * with the database it links to outside the checkout (root's Postgres lives under /var/lib/wharf).
 */
export function cleanUpStarted(): void {
  killStarted();
  for (const dir of dataDirs) {
    const link = join(dir, 'postgres');
    if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(realpathSync(link), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  dataDirs.clear();
}

/** Kills what a failed test left running (its whole process group), so the next test starts clean. */
export function killStarted(): void {
  for (const child of running) if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
  running.clear();
}

export interface Wharf {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Ctrl-C in the terminal: SIGINT to the whole process group; resolves when npm start exited. */
  ctrlC: () => Promise<number | null>;
}

/** `npm start` (scripts/start.sh) as a user runs it in a terminal: its own process group, so Ctrl-C reaches all of it. */
export async function npmStart(dataDir: string, port: number, env: Record<string, string> = {}): Promise<Wharf> {
  const child = spawn('bash', [join(root, 'scripts/start.sh')], {
    cwd: root,
    detached: true,
    env: { ...process.env, WHARF_DATA_DIR: dataDir, WHARF_PORT: String(port), WHARF_FS_FSYNC: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  dataDirs.add(dataDir);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (c) => (output += c));
  child.stderr?.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!output.includes('Wharf is serving')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    ctrlC: () => {
      process.kill(-(child.pid as number), 'SIGINT');
      return exited;
    },
  };
}

