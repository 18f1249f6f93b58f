import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';
import { OciTestClient, requireRoot, requireService, sha256 } from '@wharf/testing';
import { startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';

/**
 * Requests that end badly must never stop the process. These run against the real `registry`
 * process (a crash there ends the process, which an in-process server inside Jest would hide).
 * Auth is off: the faults are in the data plane, before and after authorisation alike.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const canMount = requireRoot('the full-disk test (it mounts a small tmpfs)');

/** Sends raw bytes and resolves with the socket once `bytes` of answer arrived (or it closed). */
function rawRequest(url: string, head: string, readBytes: number): Promise<{ socket: Socket; received: Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const parts: Buffer[] = [];
    let size = 0;
    const done = () => resolve({ socket, received: Buffer.concat(parts) });
    socket.once('error', reject);
    socket.on('data', (c: Buffer) => {
      parts.push(c);
      size += c.length;
      if (size >= readBytes) {
        socket.pause();
        done();
      }
    });
    socket.once('end', done);
    socket.write(head);
  });
}

async function stillServing(reg: TestRegistry): Promise<void> {
  const res = await fetch(`${reg.url}/v2/`);
  expect(res.status).toBe(200);
}

(databaseUrl ? describe : describe.skip)('requests that end badly do not stop the registry process', () => {
  let reg: TestRegistry;
  // A process per test: one test's crash must not be blamed on the next.
  beforeEach(async () => {
    reg = await startRegistryProcess(databaseUrl as string);
  }, 60_000);
  afterEach(() => reg?.close());

  it('a download cancelled after 100 KB, five times over, leaves the process serving', async () => {
    const org = uniqueOrg('cancel');
    const blob = Buffer.alloc(4 * 1024 * 1024, 7);
    expect((await new OciTestClient(reg.url).pushBlob(`${org}/app`, blob)).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const head = `GET /v2/${org}/app/blobs/${sha256(blob)} HTTP/1.1\r\nhost: x\r\n\r\n`;
      const { socket, received } = await rawRequest(reg.url, head, 100_000);
      expect(received.subarray(0, 15).toString()).toBe('HTTP/1.1 200 OK');
      socket.resetAndDestroy(); // RST, as a killed curl | head -c does
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    await stillServing(reg);
    const whole = await fetch(`${reg.url}/v2/${org}/app/blobs/${sha256(blob)}`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(blob)).toBe(true);
  });

  it('a chunked manifest PUT over the 4 MiB limit answers 413 and the process keeps serving', async () => {
    const org = uniqueOrg('chunked');
    const { hostname, port } = new URL(reg.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let text = '';
      socket.on('data', (c) => (text += c.toString('latin1')));
      socket.on('error', () => resolve(text)); // the server may cut the rest of the upload
      socket.on('close', () => resolve(text));
      socket.write(
        `PUT /v2/${org}/app/manifests/v1 HTTP/1.1\r\nhost: x\r\ncontent-type: application/vnd.oci.image.manifest.v1+json\r\n` +
          'transfer-encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 5_000_000) {
          sent += chunk.length;
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          if (!socket.write('\r\n')) return void socket.once('drain', pump);
        }
        socket.end('0\r\n\r\n');
      };
      socket.once('connect', pump);
      setTimeout(() => reject(new Error(`no answer: ${text}`)), 20_000).unref();
    });
    expect(answer.slice(0, 12)).toBe('HTTP/1.1 413');
    expect(answer).toContain('PAYLOAD_TOO_LARGE');
    await new Promise((r) => setTimeout(r, 300));
    await stillServing(reg);
  });

  (canMount ? it : it.skip)('a full disk answers 507 STORAGE_FULL, keeps nothing, and the registry keeps serving', async () => {
    await reg.close();
    const disk = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'full-disk-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', disk]).status).toBe(0);
    try {
      reg = await startRegistryProcess(databaseUrl as string, { dataDir: disk });
      const c = new OciTestClient(reg.url);
      const org = uniqueOrg('full');
      const big = Buffer.alloc(4 * 1024 * 1024, 3);
      const res = await c.pushBlob(`${org}/app`, big);
      expect(res.status).toBe(507);
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      expect(body.errors[0]).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringContaining('storage is full') });
      const location = await c.startUpload(`${org}/app`);
      const patch = await c.request(location, { method: 'PATCH', body: big, headers: { 'content-range': `0-${big.length - 1}` } });
      expect(patch.status).toBe(507);
      expect((await c.request(`/v2/${org}/app/blobs/${sha256(big)}`, { method: 'HEAD' })).status).toBe(404);
      await stillServing(reg);
      expect((await c.pushBlob(`${org}/app`, Buffer.from('a small blob still fits'))).status).toBe(201);
    } finally {
      await reg.close();
      spawnSync('umount', [disk]);
    }
  });
});
