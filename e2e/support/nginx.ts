import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../apps/server/src/local-process';

export interface Nginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` */
  host: string;
  close(): Promise<void>;
}

/** Upstream addresses (`127.0.0.1:<port>`) of each service behind the ingress. */
export interface IngressBackends {
  registry: string[];
  auth: string[];
  org: string[];
}

/** One Ingress path (`pathType: Prefix`) and the addresses of the Service's pods behind it. */
export interface IngressRoute {
  path: string;
  upstream: string[];
}

/**
 * The Ingress of SPEC §10: `/v2` to the registry replicas (round robin), `/token` to auth, `/api`
 * to the management API. The auth service also owns the sign-in routes under `/api/v1`
 * (`/api/v1/auth/…`, `/api/v1/access-keys`), so those two prefixes go to auth.
 */
export function specRoutes(backends: IngressBackends): IngressRoute[] {
  return [
    { path: '/v2', upstream: backends.registry },
    { path: '/token', upstream: backends.auth },
    { path: '/api/v1/auth/', upstream: backends.auth },
    { path: '/api/v1/access-keys', upstream: backends.auth },
    { path: '/api', upstream: backends.org },
  ];
}

/**
 * nginx (the Debian package) as an ingress controller runs `routes`: longer prefixes win, as with
 * Ingress `pathType: Prefix`; anything else is 404. Uploads stream through (no request buffering,
 * no size limit: what the chart's nginx annotations ask for); the client address is appended to
 * X-Forwarded-For.
 */
export function ingressConfig(dir: string, port: number, routes: IngressRoute[]): string {
  const upstream = (name: string, servers: string[]) =>
    `  upstream ${name} {\n${servers.map((s) => `    server ${s};`).join('\n')}\n    keepalive 16;\n  }`;
  const name = (i: number) => `backend${i}`;
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 0;
${routes.map((r, i) => upstream(name(i), r.upstream)).join('\n')}
  server {
    listen 127.0.0.1:${port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_read_timeout 600s;
${routes.map((r, i) => `    location ${r.path} { proxy_pass http://${name(i)}; }`).join('\n')}
    location / { return 404; }
  }
}
`;
}

/** Starts nginx in the foreground with `ingressConfig` in a fresh directory under `workdir`, on `port` or a free one. */
export async function startIngress(workdir: string, backends: IngressBackends | IngressRoute[], port?: number): Promise<Nginx> {
  const routes = Array.isArray(backends) ? backends : specRoutes(backends);
  const dir = mkdtempSync(join(workdir, 'nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  port ??= await freePort();
  writeFileSync(join(dir, 'nginx.conf'), ingressConfig(dir, port, routes));
  let output = '';
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c) => (output += c));
  child.stderr?.on('data', (c) => (output += c));
  try {
    await Promise.race([
      waitForPort(port, 15_000),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited (${code}): ${output}`)))),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGQUIT'); // graceful: finish what is in flight
      }),
  };
}
