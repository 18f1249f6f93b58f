import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { aptInstall, hasCommand, Log } from './local-process';

export interface SelfSignedTls {
  cert: Buffer;
  key: Buffer;
  caFile: string;
  /** True when this start made them (the trust instructions are printed then). */
  created: boolean;
}

/**
 * `WHARF_TLS=self-signed` (or `npm start -- --tls`): a local CA and a server certificate for
 * `host` (plus localhost and 127.0.0.1) in `<dataDir>/tls`, made once with openssl and kept, so
 * clients trust the CA once. Keys are 0600.
 */
export async function selfSignedTls(dataDir: string, host: string, log: Log): Promise<SelfSignedTls> {
  const dir = join(dataDir, 'tls');
  const file = (name: string) => join(dir, name);
  const created = !existsSync(file('server.crt'));
  if (created) {
    if (!hasCommand('openssl')) await aptInstall(['openssl'], 'openssl is needed to make the certificates', log);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=Wharf local CA', '-keyout', file('ca.key'), '-out', file('ca.crt'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${host}`, '-keyout', file('server.key'), '-out', file('server.csr'));
    const names = new Set(['DNS:localhost', 'IP:127.0.0.1', `${isIP(host) ? 'IP' : 'DNS'}:${host}`]);
    writeFileSync(file('server.ext'), `subjectAltName=${[...names].join(',')}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '825',
      '-extfile', file('server.ext'), '-out', file('server.crt'));
    execFileSync('chmod', ['600', file('ca.key'), file('server.key')]);
  }
  return { cert: readFileSync(file('server.crt')), key: readFileSync(file('server.key')), caFile: file('ca.crt'), created };
}

/** What to run on each client machine so docker, podman/skopeo and containerd trust the CA. */
export function trustInstructions(caFile: string, address: string): string {
  return [
    `HTTPS with a self-signed CA: ${caFile}. Trust it on each client (then no x509 error):`,
    `  docker:     mkdir -p /etc/docker/certs.d/${address} && cp ${caFile} /etc/docker/certs.d/${address}/ca.crt`,
    `  podman, skopeo, buildah: mkdir -p /etc/containers/certs.d/${address} && cp ${caFile} /etc/containers/certs.d/${address}/ca.crt`,
    `  containerd: /etc/containerd/certs.d/${address}/hosts.toml with  [host."https://${address}"]  ca = "${caFile}"`,
    `  (or, for a quick test only: ctr --skip-verify, skopeo --tls-verify=false)`,
  ].join('\n');
}
