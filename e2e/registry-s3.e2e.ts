import { OciTestClient, requireService, sha256 } from '@wharf/testing';
import { startTestRegistry, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about the S3 storage driver under the registry (composition of chunks, redirects); auth is the same as on the filesystem.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const endpoint = requireService('WHARF_TEST_S3_ENDPOINT', 'an S3 server');

(databaseUrl && endpoint ? describe : describe.skip)('registry on S3 storage', () => {
  const bucket = `registry-s3-${process.pid}`;
  const s3Env = (redirect: boolean) => ({
    WHARF_S3_BUCKET: bucket,
    WHARF_S3_ENDPOINT: endpoint as string,
    WHARF_S3_ACCESS_KEY: 'test',
    WHARF_S3_SECRET_KEY: 'test',
    WHARF_S3_REDIRECT: String(redirect),
  });
  let streaming: TestRegistry;
  let redirecting: TestRegistry;
  beforeAll(async () => {
    await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
    streaming = await startTestRegistry(databaseUrl as string, s3Env(false));
    redirecting = await startTestRegistry(databaseUrl as string, s3Env(true));
  });
  afterAll(async () => {
    await streaming?.close();
    await redirecting?.close();
  });

  it('a 12 MiB blob pushed in three chunks is composed and streamed back intact', async () => {
    const c = new OciTestClient(streaming.url);
    const org = uniqueOrg();
    const parts = [Buffer.alloc(6 * 1024 * 1024, 1), Buffer.alloc(1024, 2), Buffer.alloc(6 * 1024 * 1024 - 1024, 3)];
    const whole = Buffer.concat(parts);
    const location = await c.startUpload(`${org}/app`);
    let offset = 0;
    for (const part of parts) {
      const res = await c.request(location, { method: 'PATCH', body: part, headers: { 'content-range': `${offset}-${offset + part.length - 1}` } });
      expect(res.status).toBe(202);
      offset += part.length;
    }
    expect((await c.request(`${location}?digest=${sha256(whole)}`, { method: 'PUT' })).status).toBe(201);
    const get = await c.request(`/v2/${org}/app/blobs/${sha256(whole)}`);
    expect(get.status).toBe(200);
    expect(sha256(Buffer.from(await get.arrayBuffer()))).toBe(sha256(whole));
    const range = await c.request(`/v2/${org}/app/blobs/${sha256(whole)}`, { headers: { range: 'bytes=6291455-6291457' } });
    expect(Buffer.from(await range.arrayBuffer())).toEqual(Buffer.from([1, 2, 2]));
  });

  it('with WHARF_S3_REDIRECT a blob GET answers 307 to a presigned URL that serves the bytes', async () => {
    const c = new OciTestClient(redirecting.url);
    const org = uniqueOrg();
    await c.pushBlob(`${org}/app`, 'served by S3 directly');
    const res = await c.request(`/v2/${org}/app/blobs/${sha256('served by S3 directly')}`);
    expect(res.status).toBe(307);
    const location = res.headers.get('location') as string;
    expect(location.startsWith(endpoint as string)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    expect(await (await fetch(location)).text()).toBe('served by S3 directly');
    // HEAD still answers from the registry, and ranges are streamed.
    expect((await c.request(`/v2/${org}/app/blobs/${sha256('served by S3 directly')}`, { method: 'HEAD' })).status).toBe(200);
    const ranged = await c.request(`/v2/${org}/app/blobs/${sha256('served by S3 directly')}`, { headers: { range: 'bytes=0-5' } });
    expect(await ranged.text()).toBe('served');
  });
});
