import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command, throwing with its output when it fails (so a test shows why). */
export function run(cmd: string, args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/**
 * `run` without blocking the event loop: needed whenever the server under test lives in this
 * process (a synchronous child would wait forever for a server that cannot answer).
 */
export function runAsync(cmd: string, args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Whether a command exists on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * A tiny root filesystem tar (busybox-static with a few applets linked), the base image for
 * docker/podman tests: no image can be pulled from the internet here.
 */
export function busyboxRootfsTar(workdir: string): string {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => spawnSync(p, ['true']).status === 0);
  if (!busybox) throw new Error('busybox is not installed (apt-get install busybox-static)');
  const dir = mkdtempSync(join(workdir, 'rootfs-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(busybox, join(dir, 'bin/busybox'));
  for (const applet of ['sh', 'cat', 'echo', 'ls']) symlinkSync('busybox', join(dir, 'bin', applet));
  const tar = `${dir}.tar`;
  run('tar', ['-C', dir, '-cf', tar, '.']);
  return tar;
}
