import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command, throwing with its output when it fails (so a test shows why). */
export function run(cmd: string, args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
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
