import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { tarArchive } from '@wharf/testing';

/**
 * Page upload at scale (issue #14), against the running Wharf: writes a 1 GiB `docker save`
 * archive (8 layers of 128 MiB, about half compressible, as binaries and text are), then times
 *  - the page upload: POST /api/v1/uploads until the import succeeded (end to end), and the import
 *    alone (the worker's startedAt → finishedAt), sampling the server's resident memory meanwhile
 *    (single-machine mode: the worker runs in the server, so this is the worker's and everything else's);
 *  - the anchor: `skopeo copy docker-archive:<file> docker://…` of the same file into Wharf.
 * Prints a markdown table. Needs WHARF_BENCH_URL, WHARF_BENCH_PASSWORD, WHARF_PID; skopeo for the anchor.
 */
const LAYERS = Number(process.env['IMPORT_LAYERS'] ?? 8);
const LAYER_MIB = Number(process.env['IMPORT_LAYER_MIB'] ?? 128);
const MiB = 1024 * 1024;
const url = process.env['WHARF_BENCH_URL'] as string;
const password = process.env['WHARF_BENCH_PASSWORD'] as string;
const pid = Number(process.env['WHARF_PID']);

/** One tar member's bytes (header, content, padding), without the archive's end blocks. */
const member = (name: string, content: Buffer) => tarArchive([{ name, content }]).subarray(0, -1024);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A layer of 1 MiB files, every other one random (incompressible) and the rest repetitive text. */
function layer(i: number): Buffer {
  const files: Buffer[] = [];
  const text = Buffer.from(`layer ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(20)}\n`);
  for (let f = 0; f < LAYER_MIB - 1; f++) {
    const content = f % 2 === 0 ? randomBytes(MiB) : Buffer.concat(Array(Math.ceil(MiB / text.length)).fill(text)).subarray(0, MiB);
    files.push(member(`usr/lib/l${i}/f${f}`, content));
  }
  files.push(Buffer.alloc(1024));
  return Buffer.concat(files);
}

async function writeArchive(path: string): Promise<void> {
  const out = createWriteStream(path);
  const write = async (b: Buffer) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  const diffIds: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const bytes = layer(i);
    diffIds.push(`sha256:${sha256(bytes)}`);
    paths.push(`${sha256(Buffer.from(`l${i}`))}/layer.tar`);
    await write(member(paths[i] as string, bytes));
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  await write(member(`${sha256(config)}.json`, config));
  await write(member('manifest.json', Buffer.from(JSON.stringify([{ Config: `${sha256(config)}.json`, RepoTags: ['bench/imported:v1'], Layers: paths }]))));
  await write(Buffer.alloc(1024));
  out.end();
  await once(out, 'finish');
}

function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const file = join(tmpdir(), `wharf-import-bench-${process.pid}.tar`);
  try {
    await writeArchive(file);
    const size = statSync(file).size;
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    const bearer = ((await login.json()) as { accessToken: string }).accessToken;
    const auth = { authorization: `Bearer ${bearer}` };
    await fetch(`${url}/api/v1/organizations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });

    let peak = rssMiB();
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 100);
    const t0 = Date.now();
    // curl as the client: Node's own fetch sends a file-backed form at a fraction of the speed.
    const answer = execFileSync('curl', ['-sS', '-H', `authorization: Bearer ${bearer}`, '-F', 'org=bench', '-F', `files=@${file};filename=image.tar`, `${url}/api/v1/uploads`], { encoding: 'utf8' });
    const uploaded = (Date.now() - t0) / 1000;
    const id = (JSON.parse(answer) as { uploads?: { id: string }[] }).uploads?.[0]?.id;
    if (!id) throw new Error(`upload answered ${answer.slice(0, 300)}`);
    let view: { status: string; error: string | null; startedAt: string; finishedAt: string };
    for (;;) {
      view = (await (await fetch(`${url}/api/v1/uploads/${id}`, { headers: auth })).json()) as typeof view;
      if (view.status === 'succeeded' || view.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const total = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    if (view.status !== 'succeeded') throw new Error(`import failed: ${view.error}`);
    const importSeconds = (Date.parse(view.finishedAt) - Date.parse(view.startedAt)) / 1000;

    let skopeo = NaN;
    try {
      const s0 = Date.now();
      execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `admin:${password}`, `docker-archive:${file}`, `docker://${new URL(url).host}/bench/skopeo-imported:v1`], { stdio: 'pipe' });
      skopeo = (Date.now() - s0) / 1000;
    } catch (err) {
      process.stderr.write(`skopeo anchor failed: ${(err as Error).message}\n`);
    }
    const mbps = (s: number) => (size / 1e6 / s).toFixed(0);
    const gib = (size / 1024 ** 3).toFixed(2);
    process.stdout.write(`\n### Page upload of a ${gib} GiB docker save archive (${LAYERS} layers, half compressible)\n\n`);
    process.stdout.write('| measure | value |\n|---|---|\n');
    process.stdout.write(`| upload + import, end to end | ${total.toFixed(1)} s, ${mbps(total)} MB/s (the POST alone ${uploaded.toFixed(1)} s) |\n`);
    process.stdout.write(`| import by the worker (startedAt → finishedAt) | ${importSeconds.toFixed(1)} s, ${mbps(importSeconds)} MB/s |\n`);
    process.stdout.write(`| peak resident memory of the server (worker inside) | ${peak.toFixed(0)} MiB |\n`);
    process.stdout.write(`| anchor: skopeo copy docker-archive: → docker:// into Wharf | ${skopeo.toFixed(1)} s, ${mbps(skopeo)} MB/s; Wharf ${(skopeo / total).toFixed(2)}× |\n`);
  } finally {
    rmSync(file, { force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
