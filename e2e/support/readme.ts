import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's tours: every ```bash block that follows a `<!-- tour -->` marker, joined in order,
 * to be run top to bottom by bash. Taken from README.md itself so the tests run what users read.
 */
export function readmeTours(readme: string): string {
  const blocks = [...readme.matchAll(/<!-- tour -->\n```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  if (blocks.length === 0) throw new Error('README.md has no <!-- tour --> blocks');
  return blocks.join('\n');
}

/**
 * Runs the README's tours against `host` (in place of the README's `127.0.0.1:5000`) with
 * `set -euo pipefail`, in `work`, with the prerequisites the README names: the administrator's
 * password and the clients' daemons (docker and podman configuration kept in `work`). Returns
 * what the tours printed; throws with the end of their output when one fails.
 */
export function runReadmeTours(host: string, work: string, env: { adminPassword: string; dockerHost: string; containerdAddress: string }): string {
  const script = readmeTours(readFileSync(join(__dirname, '../../README.md'), 'utf8')).replaceAll('127.0.0.1:5000', host);
  const r = spawnSync('bash', ['-c', `set -euo pipefail\n${script}`], {
    cwd: work,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      ADMIN_PASSWORD: env.adminPassword,
      DOCKER_HOST: env.dockerHost,
      DOCKER_CONFIG: join(work, 'docker'),
      REGISTRY_AUTH_FILE: join(work, 'podman-auth.json'),
      CONTAINERD_ADDRESS: env.containerdAddress,
    },
  });
  if (r.status !== 0) throw new Error(`a README tour failed against ${host} (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}
