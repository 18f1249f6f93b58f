import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const CHART = join(__dirname, '../../charts/wharf');

/** A rendered Kubernetes object (the fields the chart's tests read). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Kubernetes object of any kind
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with its cache, config and data homes in a directory of the test's own (offline, no user state). */
export function helm(helmBin: string, args: string[], env: Record<string, string> = {}): HelmResult {
  const home = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'helm-'));
  const r = spawnSync(helmBin, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      ...env,
    },
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Values as `--set-json` arguments (one per top-level key). */
export function valueArgs(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--set-json', `${key}=${JSON.stringify(value)}`]);
}

/** `helm template` of the chart with `values`; throws with helm's message when it fails. */
export function renderChart(helmBin: string, release: string, values: Record<string, unknown>): { yaml: string; objects: K8sObject[] } {
  const r = helm(helmBin, ['template', release, CHART, '--namespace', 'wharf', ...valueArgs(values)]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
  return { yaml: r.stdout, objects };
}

export interface Validation {
  kind: string;
  name: string;
  errors: string[];
  unknownApi?: boolean;
}

/** Every object of a YAML stream checked against the Kubernetes schemas (e2e/support/k8s-validate.mjs). */
export function validateObjects(yaml: string): Validation[] {
  const r = spawnSync(process.execPath, [join(__dirname, 'k8s-validate.mjs')], { input: yaml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`k8s-validate failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Validation);
}

export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found;
}

/** A Secret's value (data is base64, stringData plain). */
export function secretValue(secret: K8sObject, key: string): string | undefined {
  if (secret.stringData?.[key] !== undefined) return secret.stringData[key];
  const b64 = secret.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}
