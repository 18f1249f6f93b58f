import { get as httpsGet } from 'node:https';

/**
 * GET a JSON document, failing on any status but 200 and after `timeoutMs`. `ca` adds a trusted
 * certificate authority for an https URL (fetch cannot be given one; node's https can).
 */
export async function fetchJson(url: string, options: { ca?: Buffer; timeoutMs?: number } = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (!options.ca) {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    return res.json();
  }
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca: options.ca, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${url} answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer`)));
    req.on('error', reject);
  });
}
