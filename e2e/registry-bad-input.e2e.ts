import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { errorCode, jsonOf, ociError, OciTestClient, requireService, sha256 } from '@wharf/testing';
import { startTestRegistry, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about what malformed input gets (clear OCI errors, nothing stored) once past authorisation; hostile tokens are in auth-token.e2e.ts.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Sends raw bytes on a fresh connection and resolves with whatever the server answered (maybe nothing). */
function raw(host: string, request: string | Buffer, closeAfterMs = 300): Promise<string> {
  const [h, p] = host.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: h, port: Number(p) });
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.write(request);
    setTimeout(() => socket.destroy(), closeAfterMs);
  });
}

/** Every file under a directory (recursively). */
/** Every file and directory under `dir`, depth first. */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((e) => {
      const full = join(dir, e);
      return statSync(full).isDirectory() ? [full, ...entries(full)] : [full];
    });
  } catch {
    return [];
  }
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((e) => {
      const full = join(dir, e);
      return statSync(full).isDirectory() ? files(full) : [full];
    });
  } catch {
    return [];
  }
}

(databaseUrl ? describe : describe.skip)('bad input: clear OCI errors, nothing stored or corrupted', () => {
  let reg: TestRegistry;
  let c: OciTestClient;
  let org: string;
  let canary: { digest: string; body: string };
  const canaryLayer = Buffer.from('canary layer bytes that must survive every bad request');

  beforeAll(async () => {
    reg = await startTestRegistry(databaseUrl as string, { WHARF_MAX_LAYER_BYTES: String(64 * 1024) });
    c = new OciTestClient(reg.url);
    canary = await c.pushImage('canary/app', 'v1', [canaryLayer]);
  });
  afterAll(async () => {
    // Nothing that came before damaged what was already stored.
    const manifest = await c.request('/v2/canary/app/manifests/v1');
    expect(await manifest.text()).toBe(canary.body);
    const layer = await c.request(`/v2/canary/app/blobs/${sha256(canaryLayer)}`);
    expect(Buffer.from(await layer.arrayBuffer())).toEqual(canaryLayer);
    await reg?.close();
  });
  beforeEach(() => {
    org = uniqueOrg();
  });

  const blobFiles = () => files(join(reg.dataDir, 'blobs/files/blobs'));
  const uploadFiles = () => files(join(reg.dataDir, 'blobs/files/uploads'));

  describe('digests and bodies', () => {
    it('a wrong digest on a monolithic upload stores nothing', async () => {
      const before = blobFiles().length;
      const res = await c.request(`/v2/${org}/app/blobs/uploads/?digest=${sha256('other content')}`, { method: 'POST', body: 'content' });
      expect(res.status).toBe(400);
      const e = await ociError(res);
      expect(e.code).toBe('DIGEST_INVALID');
      expect(e.message).toContain(sha256('content'));
      expect(blobFiles().length).toBe(before);
      expect(uploadFiles()).toEqual([]);
      expect((await c.request(`/v2/${org}/app/blobs/${sha256('other content')}`, { method: 'HEAD' })).status).toBe(404);
      expect((await c.request(`/v2/${org}/app/blobs/${sha256('content')}`, { method: 'HEAD' })).status).toBe(404);
    });

    it('a wrong digest when completing a chunked upload stores nothing and ends the session', async () => {
      const location = await c.startUpload(`${org}/app`);
      await c.request(location, { method: 'PATCH', body: 'chunk one' });
      const res = await c.request(`${location}?digest=${sha256('something else')}`, { method: 'PUT' });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('DIGEST_INVALID');
      expect((await c.request(`/v2/${org}/app/blobs/${sha256('chunk one')}`, { method: 'HEAD' })).status).toBe(404);
      expect((await c.request(location)).status).toBe(404);
    });

    it('completing without a digest is refused', async () => {
      const location = await c.startUpload(`${org}/app`);
      const res = await c.request(location, { method: 'PUT' });
      expect(res.status).toBe(400);
      expect((await ociError(res)).message).toContain('digest query parameter is required');
    });

    it('a truncated monolithic body (client disconnects) stores nothing', async () => {
      const digest = sha256(Buffer.alloc(1000, 7));
      await raw(
        reg.host,
        `POST /v2/${org}/app/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${'\x07'.repeat(400)}`,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect((await c.request(`/v2/${org}/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
      expect(uploadFiles()).toEqual([]);
    });

    it('a truncated PATCH leaves the upload as it was, so the client can resume', async () => {
      const location = await c.startUpload(`${org}/app`);
      await c.request(location, { method: 'PATCH', body: 'first ', headers: { 'content-range': '0-5' } });
      await raw(reg.host, `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Range: 6-105\r\nContent-Length: 100\r\n\r\n${'y'.repeat(30)}`);
      await new Promise((r) => setTimeout(r, 200));
      const status = await c.request(location);
      expect(status.headers.get('range')).toBe('0-5');
      await c.request(location, { method: 'PATCH', body: 'second', headers: { 'content-range': '6-11' } });
      const put = await c.request(`${location}?digest=${sha256('first second')}`, { method: 'PUT' });
      expect(put.status).toBe(201);
    });

    it('a Content-Length shorter than the body stores neither the declared nor the sent content', async () => {
      const digest = sha256('0123456789');
      const answer = await raw(
        reg.host,
        `POST /v2/${org}/app/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n0123456789`,
      );
      // Either the digest check answers, or the HTTP parser rejects the stray bytes first.
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect((await c.request(`/v2/${org}/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
      expect((await c.request(`/v2/${org}/app/blobs/${sha256('01234')}`, { method: 'HEAD' })).status).toBe(404);
    });

    it('a Content-Range that disagrees with Content-Length is refused before any byte is stored', async () => {
      const location = await c.startUpload(`${org}/app`);
      const res = await c.request(location, { method: 'PATCH', body: 'abc', headers: { 'content-range': '0-9' } });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('SIZE_INVALID');
      expect((await c.request(location)).headers.get('range')).toBe('0-0');
    });

    it('a malformed Content-Range is refused', async () => {
      const location = await c.startUpload(`${org}/app`);
      const res = await c.request(location, { method: 'PATCH', body: 'abc', headers: { 'content-range': 'bytes=abc' } });
      expect(res.status).toBe(416);
      expect((await ociError(res)).message).toContain('Content-Range');
    });

    it('a blob over the size limit is refused with 413 and nothing is kept', async () => {
      const big = Buffer.alloc(100 * 1024, 1);
      const res = await c.request(`/v2/${org}/app/blobs/uploads/?digest=${sha256(big)}`, { method: 'POST', body: big });
      expect(res.status).toBe(413);
      expect((await ociError(res)).message).toContain('limit');
      const location = await c.startUpload(`${org}/app`);
      // Chunked transfer encoding: no Content-Length to check up front, so the stream itself is cut off.
      const stream = Readable.toWeb(Readable.from([big.subarray(0, 50_000), big.subarray(50_000)])) as ReadableStream;
      const chunked = await c.request(location, { method: 'PATCH', body: stream, duplex: 'half' });
      expect(chunked.status).toBe(413);
      expect(uploadFiles().filter((f) => f.includes(location.split('/').pop() as string))).toEqual([]);
    });

    it.each([
      ['md5', `md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
      ['short', 'sha256:abc', 'must be 64 lowercase hex'],
      ['uppercase', `sha256:${'A'.repeat(64)}`, 'must be 64 lowercase hex'],
    ])('an unsupported or malformed digest (%s) is DIGEST_INVALID', async (_label, digest, message) => {
      const res = await c.request(`/v2/${org}/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(400);
      const e = await ociError(res);
      expect(e.code).toBe('DIGEST_INVALID');
      expect(e.message).toContain(message);
      const get = await c.request(`/v2/${org}/app/blobs/${digest}`);
      expect(await errorCode(get)).toBe('DIGEST_INVALID');
    });
  });

  describe('upload sessions', () => {
    it.each(['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '%2e%2e%2f%2e%2e%2fetc', '..%2f..%2fetc'])(
      'an unknown upload id (%s) is BLOB_UPLOAD_UNKNOWN',
      async (id) => {
        for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
          const res = await c.request(`/v2/${org}/app/blobs/uploads/${id}?digest=${sha256('')}`, { method, body: method === 'PATCH' ? 'x' : undefined });
          expect([res.status, await errorCode(res)]).toEqual([404, 'BLOB_UPLOAD_UNKNOWN']);
        }
      },
    );

    it("another repository's upload id is unknown here", async () => {
      const location = await c.startUpload(`${org}/mine`);
      const id = location.split('/').pop();
      const res = await c.request(`/v2/${org}/theirs/blobs/uploads/${id}`);
      expect(await errorCode(res)).toBe('BLOB_UPLOAD_UNKNOWN');
    });
  });

  describe('manifests', () => {
    it.each([
      ['malformed JSON', '{"schemaVersion": 2,', 'not valid JSON'],
      ['a JSON array', '[]', 'must be a JSON object'],
      ['a wrong schemaVersion', JSON.stringify({ schemaVersion: 3 }), 'schemaVersion must be 2'],
      ['a descriptor with a bad digest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: 'sha256:zz', size: 1 }, layers: [] }), 'config.digest'],
    ])('%s is MANIFEST_INVALID with a message naming the problem', async (_label, body, message) => {
      const res = await c.putManifest(`${org}/app`, 'v1', body, OCI_MANIFEST);
      expect(res.status).toBe(400);
      const e = await ociError(res);
      expect(e.code).toBe('MANIFEST_INVALID');
      expect(e.message).toContain(message);
      expect((await c.request(`/v2/${org}/app/manifests/v1`)).status).toBe(404);
    });

    it('a Docker schema 1 manifest is refused with a clear message', async () => {
      const res = await c.putManifest(`${org}/app`, 'v1', { schemaVersion: 1, name: `${org}/app`, tag: 'v1', fsLayers: [], history: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
      expect(res.status).toBe(400);
      const e = await ociError(res);
      expect(e.code).toBe('MANIFEST_INVALID');
      expect(e.message).toContain('schema 1');
    });

    it('a manifest whose layers are not in the repository is MANIFEST_BLOB_UNKNOWN naming the digest', async () => {
      await c.pushBlob(`${org}/app`, '{}');
      const missing = sha256('never pushed');
      const manifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: missing, size: 12 }],
      };
      const res = await c.putManifest(`${org}/app`, 'v1', manifest, OCI_MANIFEST);
      expect(res.status).toBe(400);
      const e = await ociError(res);
      expect(e.code).toBe('MANIFEST_BLOB_UNKNOWN');
      expect(e.message).toContain(missing);
      expect((await c.request(`/v2/${org}/app/manifests/v1`)).status).toBe(404);
    });

    it('a blob of another repository does not satisfy a manifest here', async () => {
      const image = await c.pushImage(`${org}/a`, 'v1', ['only in a']);
      const res = await c.putManifest(`${org}/b`, 'v1', image.body, OCI_MANIFEST);
      expect(await errorCode(res)).toBe('MANIFEST_BLOB_UNKNOWN');
    });

    it('an index whose child manifest is missing is refused', async () => {
      const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('no such child'), size: 3 }] };
      const res = await c.putManifest(`${org}/app`, 'v1', index, 'application/vnd.oci.image.index.v1+json');
      const e = await ociError(res);
      expect(e.code).toBe('MANIFEST_BLOB_UNKNOWN');
      expect(e.message).toContain('child manifest');
    });

    it('a manifest over 4 MiB is refused with 413', async () => {
      const huge = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } });
      const res = await c.putManifest(`${org}/app`, 'v1', huge, OCI_MANIFEST);
      expect(res.status).toBe(413);
      expect((await ociError(res)).message).toContain('limit');
    });

    it('PUT by digest with content of another digest is DIGEST_INVALID', async () => {
      const image = await c.pushImage(`${org}/app`, null, ['l']);
      const res = await c.putManifest(`${org}/app`, sha256('different'), image.body, OCI_MANIFEST);
      expect(await errorCode(res)).toBe('DIGEST_INVALID');
    });

    it.each(['-bad', '.bad', 'a'.repeat(129), 'bad%20tag'])('an invalid tag (%s) is refused naming the rule', async (tag) => {
      const image = await c.pushImage(`${org}/app`, null, ['l']);
      const res = await c.putManifest(`${org}/app`, tag, image.body, OCI_MANIFEST);
      expect(res.status).toBe(400);
      expect((await ociError(res)).message).toContain('must match');
    });

    it('an unknown manifest and an unknown repository answer MANIFEST_UNKNOWN and NAME_UNKNOWN', async () => {
      expect(await errorCode(await c.request(`/v2/${org}/app/manifests/nope`))).toBe('MANIFEST_UNKNOWN');
      expect(await errorCode(await c.request(`/v2/${org}/app/tags/list`))).toBe('NAME_UNKNOWN');
    });
  });

  describe('names and paths', () => {
    it.each([
      ['uppercase', 'Org/App'],
      ['a dot-dot component', 'org/../etc'],
      ['an empty component', 'org//app'],
      ['no organization', 'app'],
      ['an over-long name', `org/${'a'.repeat(300)}`],
      ['an over-long organization', `${'o'.repeat(70)}/app`],
      ['encoded traversal', 'org/%2e%2e/etc'],
    ])('%s is NAME_INVALID with the rule in the message', async (_label, name) => {
      const res = await c.request(`/v2/${name}/tags/list`);
      expect(res.status).toBe(400);
      const e = await ociError(res);
      expect(e.code).toBe('NAME_INVALID');
      expect(e.message.length).toBeGreaterThan(10);
    });

    it('traversal in digests, upload ids and mount parameters writes nothing outside the data directory', async () => {
      // The data directory sits six levels deep in a sandbox: wherever an escape would land
      // (its parents, up to the sandbox), a new file or directory would show.
      const sandbox = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'traversal-'));
      const dataDir = join(sandbox, 'a', 'b', 'c', 'd', 'e', 'data');
      mkdirSync(dataDir, { recursive: true });
      const outside = () => entries(sandbox).filter((p) => !p.startsWith(dataDir));
      const before = outside();
      const jail = await startTestRegistry(databaseUrl as string, { WHARF_DATA_DIR: dataDir });
      try {
        const j = new OciTestClient(jail.url);
        const body = Buffer.from('escaped bytes');
        const climb = '..%2F'.repeat(8);
        const attempts: [string, string][] = [
          ['GET', `/v2/${org}/app/blobs/sha256:${climb}etc%2Fpasswd`],
          ['GET', `/v2/${org}/app/blobs/sha256:../../../etc/passwd`],
          ['GET', `/v2/${org}/app/manifests/sha256:..%2f..%2fx`],
          ['POST', `/v2/${org}/app/blobs/uploads/?digest=sha256:${climb}escaped`],
          ['POST', `/v2/${org}/app/blobs/uploads/?mount=sha256:../../x&from=${org}/app`],
          ['POST', `/v2/${org}/app/blobs/uploads/?mount=${sha256('x')}&from=../../etc`],
          ['PATCH', `/v2/${org}/app/blobs/uploads/${climb}escaped`],
          ['PUT', `/v2/${org}/app/blobs/uploads/${climb}escaped?digest=${sha256(body)}`],
          ['PATCH', `/v2/${org}/app/blobs/uploads/..%2F..%2F..%2F..%2F..%2F..%2Fescaped`],
          ['DELETE', `/v2/${org}/app/blobs/uploads/${climb}escaped`],
        ];
        for (const [method, path] of attempts) {
          const res = await j.request(path, { method, body: method === 'GET' || method === 'DELETE' ? undefined : body });
          // Refused, or (a mount from a bad source) an ordinary upload started: never stored, never a fault.
          expect([method, path, (res.status >= 400 && res.status < 500) || res.status === 202]).toEqual([method, path, true]);
        }
        expect(outside()).toEqual(before);
        expect(entries(sandbox).filter((p) => /passwd|escaped/.test(p))).toEqual([]);
      } finally {
        await jail.close();
      }
    });

    it('an unknown endpoint and a wrong method are answered in the OCI envelope', async () => {
      expect(await errorCode(await c.request('/v2/org/app/nothing-here'))).toBe('NOT_FOUND');
      const res = await c.request(`/v2/${org}/app/tags/list`, { method: 'POST' });
      expect(res.status).toBe(405);
    });

    it('invalid pagination is refused', async () => {
      const res = await c.request('/v2/_catalog?n=-1');
      expect(await errorCode(res)).toBe('PAGINATION_NUMBER_INVALID');
    });
  });

  describe('deletes', () => {
    it('deleting a blob a manifest still references is refused, and the image stays pullable', async () => {
      const image = await c.pushImage(`${org}/app`, 'v1', ['referenced layer']);
      const res = await c.request(`/v2/${org}/app/blobs/${sha256('referenced layer')}`, { method: 'DELETE' });
      expect(res.status).toBe(403);
      const e = await ociError(res);
      expect(e.code).toBe('DENIED');
      expect(e.message).toContain(image.digest);
      const layer = await c.request(`/v2/${org}/app/blobs/${sha256('referenced layer')}`);
      expect(await layer.text()).toBe('referenced layer');
      expect((await jsonOf(c.request(`/v2/${org}/app/tags/list`))).tags).toEqual(['v1']);
    });

    it('deleting an unknown blob or manifest is a 404 with the OCI code', async () => {
      expect(await errorCode(await c.request(`/v2/${org}/app/blobs/${sha256('none')}`, { method: 'DELETE' }))).toBe('BLOB_UNKNOWN');
      expect(await errorCode(await c.request(`/v2/${org}/app/manifests/${sha256('none')}`, { method: 'DELETE' }))).toBe('MANIFEST_UNKNOWN');
    });
  });
});
