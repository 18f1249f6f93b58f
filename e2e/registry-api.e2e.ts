import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { YoungGcPacer } from '@wharf/registry-http';
import { errorCode, jsonOf, OciTestClient, requireService, sha256 } from '@wharf/testing';
import { startTestRegistry, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about the OCI distribution protocol itself (every endpoint, status and header), which is the same behind a token; token auth on the same endpoints is in auth-token.e2e.ts.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

(databaseUrl ? describe : describe.skip)('OCI distribution API (push, pull, content discovery, deletes)', () => {
  let reg: TestRegistry;
  let c: OciTestClient;
  let org: string;
  beforeAll(async () => {
    reg = await startTestRegistry(databaseUrl as string);
    c = new OciTestClient(reg.url);
  });
  afterAll(() => reg?.close());
  beforeEach(() => {
    org = uniqueOrg();
  });

  it('answers the /v2/ ping with the API version header', async () => {
    const res = await c.request('/v2/');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  describe('blob uploads', () => {
    it('monolithic POST ?digest= stores the blob and GET/HEAD serve it', async () => {
      const data = Buffer.from('a monolithic blob');
      const res = await c.pushBlob(`${org}/app`, data);
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/v2/${org}/app/blobs/${sha256(data)}`);
      expect(res.headers.get('docker-content-digest')).toBe(sha256(data));
      const head = await c.request(`/v2/${org}/app/blobs/${sha256(data)}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(data.length));
      expect(head.headers.get('docker-content-digest')).toBe(sha256(data));
      const get = await c.request(`/v2/${org}/app/blobs/${sha256(data)}`);
      expect(Buffer.from(await get.arrayBuffer())).toEqual(data);
    });

    it('the bytes of an upload drive the front server\'s young-GC pacer, and the blob is stored whole', async () => {
      // Criterion of the GC fix (docs/performance.md, "Large push"): upload bodies are counted.
      let collections = 0;
      const paced = await startTestRegistry(databaseUrl as string, {}, new YoungGcPacer(() => void collections++, 256 * 1024));
      try {
        const data = Buffer.alloc(1024 * 1024 + 5, 7);
        const res = await new OciTestClient(paced.url).pushBlob(`${org}/paced`, data);
        expect(res.status).toBe(201);
        expect(collections).toBe(4);
        const get = await new OciTestClient(paced.url).request(`/v2/${org}/paced/blobs/${sha256(data)}`);
        expect(Buffer.from(await get.arrayBuffer())).toEqual(data);
      } finally {
        await paced.close();
      }
    });

    it('POST then PUT with the body completes an upload', async () => {
      const data = Buffer.from('post then put');
      const location = await c.startUpload(`${org}/app`);
      expect(location).toMatch(new RegExp(`^/v2/${org}/app/blobs/uploads/[0-9a-f-]{36}$`));
      const put = await c.request(`${location}?digest=${sha256(data)}`, { method: 'PUT', body: data });
      expect(put.status).toBe(201);
      expect(put.headers.get('docker-content-digest')).toBe(sha256(data));
      expect(Buffer.from(await (await c.request(`/v2/${org}/app/blobs/${sha256(data)}`)).arrayBuffer())).toEqual(data);
    });

    it('chunked upload: three PATCHes with Content-Range, status in between, then PUT', async () => {
      const chunks = [Buffer.from('first-chunk-'), Buffer.from('second-chunk-'), Buffer.from('third')];
      const whole = Buffer.concat(chunks);
      const location = await c.startUpload(`${org}/chunked`);
      let offset = 0;
      for (const chunk of chunks) {
        const res = await c.request(location, {
          method: 'PATCH',
          body: chunk,
          headers: { 'content-range': `${offset}-${offset + chunk.length - 1}`, 'content-type': 'application/octet-stream' },
        });
        expect(res.status).toBe(202);
        offset += chunk.length;
        expect(res.headers.get('range')).toBe(`0-${offset - 1}`);
        expect(res.headers.get('location')).toBe(location);
        const status = await c.request(location);
        expect(status.status).toBe(204);
        expect(status.headers.get('range')).toBe(`0-${offset - 1}`);
      }
      const put = await c.request(`${location}?digest=${sha256(whole)}`, { method: 'PUT' });
      expect(put.status).toBe(201);
      expect(Buffer.from(await (await c.request(`/v2/${org}/chunked/blobs/${sha256(whole)}`)).arrayBuffer())).toEqual(whole);
      // The session is gone once completed.
      expect((await c.request(location)).status).toBe(404);
    });

    it('an out-of-order chunk is refused with 416 and the upload keeps its bytes', async () => {
      const location = await c.startUpload(`${org}/app`);
      await c.request(location, { method: 'PATCH', body: 'abcdef', headers: { 'content-range': '0-5' } });
      const gap = await c.request(location, { method: 'PATCH', body: 'xyz', headers: { 'content-range': '10-12' } });
      expect(gap.status).toBe(416);
      expect(gap.headers.get('range')).toBe('0-5');
      const overlap = await c.request(location, { method: 'PATCH', body: 'xyz', headers: { 'content-range': '3-5' } });
      expect(overlap.status).toBe(416);
      const repeat = await c.request(location, { method: 'PATCH', body: 'abcdef', headers: { 'content-range': '0-5' } });
      expect(repeat.status).toBe(416);
      const status = await c.request(location);
      expect(status.headers.get('range')).toBe('0-5');
      const put = await c.request(`${location}?digest=${sha256('abcdef')}`, { method: 'PUT' });
      expect(put.status).toBe(201);
    });

    it('an upload can be cancelled', async () => {
      const location = await c.startUpload(`${org}/app`);
      await c.request(location, { method: 'PATCH', body: 'bytes' });
      expect((await c.request(location, { method: 'DELETE' })).status).toBe(204);
      const after = await c.request(location);
      expect(after.status).toBe(404);
      expect(await errorCode(after)).toBe('BLOB_UPLOAD_UNKNOWN');
    });

    it('an empty blob can be uploaded', async () => {
      const res = await c.pushBlob(`${org}/app`, Buffer.alloc(0));
      expect(res.status).toBe(201);
      const location = await c.startUpload(`${org}/app2`);
      const put = await c.request(`${location}?digest=${sha256('')}`, { method: 'PUT' });
      expect(put.status).toBe(201);
      const get = await c.request(`/v2/${org}/app2/blobs/${sha256('')}`);
      expect(get.status).toBe(200);
      expect((await get.arrayBuffer()).byteLength).toBe(0);
    });

    it('sha512 digests are accepted', async () => {
      const data = Buffer.from('sha512 content');
      const digest = `sha512:${createHash('sha512').update(data).digest('hex')}`;
      const res = await c.request(`/v2/${org}/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data });
      expect(res.status).toBe(201);
      expect(res.headers.get('docker-content-digest')).toBe(digest);
      expect((await c.request(`/v2/${org}/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200);
    });

    it('cross-repository mount links the blob without an upload', async () => {
      const data = Buffer.from('mount me');
      await c.pushBlob(`${org}/source`, data);
      const res = await c.request(`/v2/${org}/target/blobs/uploads/?mount=${sha256(data)}&from=${org}/source`, { method: 'POST' });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/v2/${org}/target/blobs/${sha256(data)}`);
      expect((await c.request(`/v2/${org}/target/blobs/${sha256(data)}`, { method: 'HEAD' })).status).toBe(200);
    });

    it('a mount of a blob the source does not have falls back to an upload session', async () => {
      const res = await c.request(`/v2/${org}/target/blobs/uploads/?mount=${sha256('nowhere')}&from=${org}/source`, { method: 'POST' });
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toMatch(/\/blobs\/uploads\//);
    });

    it('serves byte ranges', async () => {
      const data = Buffer.from('0123456789');
      await c.pushBlob(`${org}/app`, data);
      const res = await c.request(`/v2/${org}/app/blobs/${sha256(data)}`, { headers: { range: 'bytes=2-5' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe('bytes 2-5/10');
      expect(await res.text()).toBe('2345');
      const suffix = await c.request(`/v2/${org}/app/blobs/${sha256(data)}`, { headers: { range: 'bytes=-3' } });
      expect(await suffix.text()).toBe('789');
      const bad = await c.request(`/v2/${org}/app/blobs/${sha256(data)}`, { headers: { range: 'bytes=20-30' } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe('bytes */10');
    });

    it('the same content pushed to two repositories is stored once', async () => {
      const data = Buffer.from(`dedupe ${org}`);
      await c.pushBlob(`${org}/one`, data);
      await c.pushBlob(`${org}/two`, data);
      const hex = sha256(data).slice(7);
      const dir = `${reg.dataDir}/blobs/files/blobs/sha256/${hex.slice(0, 2)}`;
      expect(readdirSync(dir).filter((f) => f === hex)).toHaveLength(1);
    });
  });

  describe('manifests and tags', () => {
    it('PUT by tag, GET and HEAD by tag and digest with the right headers', async () => {
      const image = await c.pushImage(`${org}/app`, 'v1', ['layer one', 'layer two']);
      for (const ref of ['v1', image.digest]) {
        const get = await c.request(`/v2/${org}/app/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } });
        expect(get.status).toBe(200);
        expect(get.headers.get('content-type')).toBe(OCI_MANIFEST);
        expect(get.headers.get('docker-content-digest')).toBe(image.digest);
        expect(await get.text()).toBe(image.body);
        const head = await c.request(`/v2/${org}/app/manifests/${ref}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(image.body)));
      }
    });

    it('pushing an existing tag moves it', async () => {
      const first = await c.pushImage(`${org}/app`, 'latest', ['one']);
      const second = await c.pushImage(`${org}/app`, 'latest', ['two']);
      expect(first.digest).not.toBe(second.digest);
      const get = await c.request(`/v2/${org}/app/manifests/latest`);
      expect(get.headers.get('docker-content-digest')).toBe(second.digest);
      // The old manifest is still there by digest.
      expect((await c.request(`/v2/${org}/app/manifests/${first.digest}`)).status).toBe(200);
    });

    it('stores an index whose children exist and serves it to clients that accept it', async () => {
      const a = await c.pushImage(`${org}/multi`, null, ['amd64 layer']);
      const b = await c.pushImage(`${org}/multi`, null, ['arm64 layer']);
      const index = {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: a.digest, size: Buffer.byteLength(a.body), platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: OCI_MANIFEST, digest: b.digest, size: Buffer.byteLength(b.body), platform: { os: 'linux', architecture: 'arm64' } },
        ],
      };
      const put = await c.putManifest(`${org}/multi`, 'v1', index, OCI_INDEX);
      expect(put.status).toBe(201);
      const get = await c.request(`/v2/${org}/multi/manifests/v1`, { headers: { accept: `${OCI_INDEX}, ${OCI_MANIFEST}` } });
      expect(get.headers.get('content-type')).toBe(OCI_INDEX);
      // A client that only accepts image manifests gets the linux/amd64 one.
      const old = await c.request(`/v2/${org}/multi/manifests/v1`, { headers: { accept: OCI_MANIFEST } });
      expect(old.headers.get('docker-content-digest')).toBe(a.digest);
    });

    it('tag list is sorted and paginates with n/last and a Link header', async () => {
      const image = await c.pushImage(`${org}/tags`, 'zeta', ['t']);
      for (const tag of ['alpha', 'beta', 'gamma', 'Delta']) {
        expect((await c.putManifest(`${org}/tags`, tag, image.body, OCI_MANIFEST)).status).toBe(201);
      }
      const all = await jsonOf(c.request(`/v2/${org}/tags/tags/list`));
      expect(all).toEqual({ name: `${org}/tags`, tags: ['Delta', 'alpha', 'beta', 'gamma', 'zeta'] });
      const page1 = await c.request(`/v2/${org}/tags/tags/list?n=2`);
      expect((await jsonOf(page1)).tags).toEqual(['Delta', 'alpha']);
      expect(page1.headers.get('link')).toBe(`</v2/${org}/tags/tags/list?last=alpha&n=2>; rel="next"`);
      const page3 = await c.request(`/v2/${org}/tags/tags/list?n=2&last=beta`);
      expect((await jsonOf(page3)).tags).toEqual(['gamma', 'zeta']);
      expect(page3.headers.get('link')).toBeNull();
      expect((await jsonOf(c.request(`/v2/${org}/tags/tags/list?n=0`))).tags).toEqual([]);
    });

    it('the catalog paginates in lexical order', async () => {
      for (const repo of ['c', 'a', 'b']) await c.pushBlob(`${org}/${repo}`, 'x');
      const names: string[] = [];
      let next: string | null = `/v2/_catalog?n=2&last=${org}`;
      while (next) {
        const res: Response = await c.request(next);
        const page = (await jsonOf(res)) as { repositories: string[] };
        names.push(...page.repositories.filter((r) => r.startsWith(`${org}/`)));
        if (page.repositories.some((r) => !r.startsWith(`${org}/`))) break;
        next = res.headers.get('link')?.match(/^<([^>]+)>/)?.[1] ?? null;
      }
      expect(names).toEqual([`${org}/a`, `${org}/b`, `${org}/c`]);
    });

    it('deleting a tag keeps the manifest; deleting by digest removes manifest and its tags', async () => {
      const image = await c.pushImage(`${org}/del`, 'v1', ['d']);
      await c.putManifest(`${org}/del`, 'v2', image.body, OCI_MANIFEST);
      expect((await c.request(`/v2/${org}/del/manifests/v1`, { method: 'DELETE' })).status).toBe(202);
      expect((await c.request(`/v2/${org}/del/manifests/v1`)).status).toBe(404);
      expect((await c.request(`/v2/${org}/del/manifests/${image.digest}`)).status).toBe(200);
      expect((await c.request(`/v2/${org}/del/manifests/${image.digest}`, { method: 'DELETE' })).status).toBe(202);
      const gone = await c.request(`/v2/${org}/del/manifests/v2`);
      expect(gone.status).toBe(404);
      expect(await errorCode(gone)).toBe('MANIFEST_UNKNOWN');
      expect((await jsonOf(c.request(`/v2/${org}/del/tags/list`))).tags).toEqual([]);
    });

    it('a blob no manifest references can be deleted', async () => {
      await c.pushBlob(`${org}/app`, 'loose blob');
      expect((await c.request(`/v2/${org}/app/blobs/${sha256('loose blob')}`, { method: 'DELETE' })).status).toBe(202);
      const head = await c.request(`/v2/${org}/app/blobs/${sha256('loose blob')}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
    });
  });

  it('GET and HEAD of a manifest by a reference no tag can have answer 404 MANIFEST_UNKNOWN (OCI conformance v1.1.1)', async () => {
    await c.pushImage(`${org}/app`, 'v1', ['layer']);
    for (const reference of ['.INVALID_MANIFEST_NAME', '-dash-first', 'x'.repeat(129)]) {
      const get = await c.request(`/v2/${org}/app/manifests/${reference}`);
      expect([reference, get.status, await errorCode(get)]).toEqual([reference, 404, 'MANIFEST_UNKNOWN']);
      const head = await c.request(`/v2/${org}/app/manifests/${reference}`, { method: 'HEAD' });
      expect([reference, head.status]).toEqual([reference, 404]);
    }
  });

  describe('referrers', () => {
    it('lists artifacts whose subject is a manifest, filtered by artifactType, and answers OCI-Subject', async () => {
      const image = await c.pushImage(`${org}/app`, 'v1', ['base']);
      const subject = { mediaType: OCI_MANIFEST, digest: image.digest, size: Buffer.byteLength(image.body) };
      const emptyConfig = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 };
      await c.pushBlob(`${org}/app`, '{}');
      await c.pushBlob(`${org}/app`, 'sbom data');
      const sbom = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sbom',
        config: emptyConfig,
        layers: [{ mediaType: 'application/json', digest: sha256('sbom data'), size: 9 }],
        subject,
        annotations: { 'org.example.kind': 'sbom' },
      };
      const put = await c.putManifest(`${org}/app`, sha256(JSON.stringify(sbom)), sbom, OCI_MANIFEST);
      expect(put.status).toBe(201);
      expect(put.headers.get('oci-subject')).toBe(image.digest);
      const sig = { ...sbom, artifactType: 'application/vnd.example.signature', annotations: undefined };
      await c.putManifest(`${org}/app`, sha256(JSON.stringify(sig)), sig, OCI_MANIFEST);

      const all = await c.request(`/v2/${org}/app/referrers/${image.digest}`);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe(OCI_INDEX);
      const index = await jsonOf(all);
      expect(index.manifests.map((m: { artifactType: string }) => m.artifactType).sort()).toEqual([
        'application/vnd.example.sbom',
        'application/vnd.example.signature',
      ]);
      const filtered = await c.request(`/v2/${org}/app/referrers/${image.digest}?artifactType=application/vnd.example.sbom`);
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
      const only = await jsonOf(filtered);
      expect(only.manifests).toEqual([
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(JSON.stringify(sbom)),
          size: Buffer.byteLength(JSON.stringify(sbom)),
          artifactType: 'application/vnd.example.sbom',
          annotations: { 'org.example.kind': 'sbom' },
        },
      ]);
    });

    it('answers an empty index for a subject without referrers', async () => {
      const res = await c.request(`/v2/${org}/app/referrers/${sha256('nothing')}`);
      expect(res.status).toBe(200);
      expect((await jsonOf(res)).manifests).toEqual([]);
    });
  });
});
