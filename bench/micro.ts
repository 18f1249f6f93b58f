import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import jwt from 'jsonwebtoken';
import { DigestingStream, parseManifest } from '@wharf/oci-spec';
import { parseRegistryPath } from '@wharf/registry-routes';
import { FilesystemDriver } from '@wharf/storage';
import { TtlCache } from '@wharf/util';

/**
 * Micro-benchmarks of Wharf's own hot paths (`npm run bench` runs them; prints markdown):
 * storage driver throughput, streaming digest verification, token verification (cold and
 * cached), route and manifest parsing, and manifest GET latency warm vs cold against a running
 * Wharf (WHARF_BENCH_URL, admin password WHARF_BENCH_PASSWORD).
 */
const MiB = 1024 * 1024;
const rows: string[] = [];
const row = (name: string, value: string) => rows.push(`| ${name} | ${value} |`);

function chunks(total: number, size = MiB): Readable {
  const block = Buffer.alloc(size, 7);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(size, total - sent);
      sent += n;
      this.push(block.subarray(0, n));
    },
  });
}

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function opsPerSec(n: number, fn: (i: number) => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function storage(): Promise<void> {
  const size = 256 * MiB;
  for (const fsync of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-micro-'));
    const d = new FilesystemDriver({ rootDirectory: dir, fsync });
    const w = await timeIt(() => d.write('/b/data', chunks(size)));
    const r = await timeIt(async () => pipeline(await d.reader('/b/data'), new Writable({ write: (_c, _e, cb) => cb() })));
    row(`filesystem driver write 256 MiB (fsync ${fsync ? 'on' : 'off'})`, `${((size / w) / 1e6).toFixed(0)} MB/s`);
    if (fsync) row('filesystem driver read 256 MiB', `${((size / r) / 1e6).toFixed(0)} MB/s`);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function digest(): Promise<void> {
  const size = 512 * MiB;
  const s = await timeIt(() => pipeline(chunks(size, 64 * 1024), new DigestingStream(createHash('sha256')), new Writable({ write: (_c, _e, cb) => cb() })));
  row('DigestingStream sha256, 64 KiB chunks (as from a socket)', `${((size / s) / 1e6).toFixed(0)} MB/s`);
  const raw = await timeIt(() => {
    const h = createHash('sha256');
    const b = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < size / b.length; i++) h.update(b);
    h.digest();
  });
  row('bare sha256 update, 64 KiB chunks', `${((size / raw) / 1e6).toFixed(0)} MB/s`);
}

function tokens(): void {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const token = jwt.sign({ sub: 'u', aud: 'wharf-registry', iss: 'wharf-auth', access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }] }, privateKey, {
    algorithm: 'RS256',
    keyid: 'k',
    expiresIn: 300,
  });
  row('RS256 token verification (cold)', `${opsPerSec(2000, () => jwt.verify(token, publicKey, { algorithms: ['RS256'], audience: 'wharf-registry' })).toFixed(0)} /s`);
  const cache = new TtlCache<unknown>(60_000, 10_000);
  cache.set(token, {});
  row('token verification (cached, as the registry does per request)', `${opsPerSec(1_000_000, () => cache.get(token)).toFixed(0)} /s`);
}

function parsing(): void {
  row('route parse /v2/org/team/app/manifests/v1', `${opsPerSec(500_000, () => parseRegistryPath('/v2/org/team/app/manifests/v1')).toFixed(0)} /s`);
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 1 },
      layers: Array.from({ length: 10 }, () => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 2 })),
    }),
  );
  row('manifest parse + validate (10 layers)', `${opsPerSec(100_000, () => parseManifest(body, 'application/vnd.oci.image.manifest.v1+json')).toFixed(0)} /s`);
}

async function manifestGet(): Promise<void> {
  const url = process.env['WHARF_BENCH_URL'];
  const password = process.env['WHARF_BENCH_PASSWORD'];
  if (!url || !password) return void row('manifest GET warm/cold', 'skipped (no WHARF_BENCH_URL)');
  const repo = `micro/m${Date.now().toString(36)}`;
  const auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const tok = ((await (await fetch(`${url}/token?service=wharf-registry&scope=repository:${repo}:pull,push`, { headers: { authorization: auth } })).json()) as { token: string }).token;
  const h = { authorization: `Bearer ${tok}` };
  const config = Buffer.from('{}');
  const dig = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${dig}`, { method: 'POST', body: config, headers: h });
  const n = 300;
  for (let i = 0; i < n; i++) {
    const m = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: dig, size: 2 }, layers: [], annotations: { i: String(i) } });
    await fetch(`${url}/v2/${repo}/manifests/t${i}`, { method: 'PUT', body: m, headers: { ...h, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  }
  // Cold: each tag read once after the caches' tag TTL has passed (a fresh digest for the manifest cache too).
  await new Promise((r) => setTimeout(r, 1_100));
  const get = (i: number) => fetch(`${url}/v2/${repo}/manifests/t${i}`, { headers: h }).then((r) => r.arrayBuffer());
  const cold = await timeIt(async () => {
    for (let i = 0; i < n; i++) await get(i);
  });
  const warm = await timeIt(async () => {
    for (let i = 0; i < n; i++) await get(0);
  });
  row('manifest GET by tag, sequential, cold cache (tag TTL expired)', `${((cold / n) * 1000).toFixed(2)} ms`);
  row('manifest GET by tag, sequential, warm cache', `${((warm / n) * 1000).toFixed(2)} ms`);
}

async function main(): Promise<void> {
  await storage();
  await digest();
  tokens();
  parsing();
  await manifestGet();
  process.stdout.write(['## Micro-benchmarks (Wharf hot paths)', '', '| what | result |', '|---|---|', ...rows, ''].join('\n'));
}

void main();
