import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { OciTestClient, requireService, sha256 } from '@wharf/testing';
import { freePort, startRegistryProcess, TestRegistry, uniqueOrg } from './support/test-registry';

// Auth is off here: this file is about uploads and reads spread over registry processes (no state in a process); tokens are verified locally the same way on every process.
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const s3 = requireService('WHARF_TEST_S3_ENDPOINT', 'an S3 server');

const storages: [string, () => Record<string, string>][] = [['filesystem', () => ({})]];
// requireService above already printed SKIPPED (or failed under CI) when there is no S3 server.
if (s3) {
  storages.push([
    's3',
    () => ({
      WHARF_S3_BUCKET: `stateless-${process.pid}`,
      WHARF_S3_ENDPOINT: s3,
      WHARF_S3_ACCESS_KEY: 'test',
      WHARF_S3_SECRET_KEY: 'test',
    }),
  ]);
}

(databaseUrl ? describe.each(storages) : describe.skip.each(storages))('stateless registry processes (%s storage)', (kind, storageEnv) => {
  const env = storageEnv();
  let dataDir: string;
  let a: TestRegistry;
  let b: TestRegistry;
  beforeAll(async () => {
    if (kind === 's3') {
      await fetch(`${s3}/${env['WHARF_S3_BUCKET']}`, { method: 'PUT' });
    }
    dataDir = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'shared-'));
    [a, b] = await Promise.all([
      startRegistryProcess(databaseUrl as string, { dataDir, env }),
      startRegistryProcess(databaseUrl as string, { dataDir, env }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('one push served by two processes: start on A, PATCH on B, PATCH on A, PUT on A', async () => {
    const org = uniqueOrg();
    const A = new OciTestClient(a.url);
    const B = new OciTestClient(b.url);
    const parts = [Buffer.alloc(300_000, 1), Buffer.alloc(200_000, 2), Buffer.from('tail')];
    const whole = Buffer.concat(parts);
    const location = await A.startUpload(`${org}/app`);
    let offset = 0;
    for (const [i, part] of parts.slice(0, 2).entries()) {
      const client = i === 0 ? B : A;
      const res = await client.request(location, { method: 'PATCH', body: part, headers: { 'content-range': `${offset}-${offset + part.length - 1}` } });
      expect(res.status).toBe(202);
      offset += part.length;
    }
    const put = await A.request(`${location}?digest=${sha256(whole)}`, { method: 'PUT', body: parts[2] });
    expect(put.status).toBe(201);
    for (const client of [A, B]) {
      const get = await client.request(`/v2/${org}/app/blobs/${sha256(whole)}`);
      expect(Buffer.from(await get.arrayBuffer()).equals(whole)).toBe(true);
    }
    // A manifest pushed through B is pullable through A.
    const image = await B.pushImage(`${org}/app`, 'v1', [whole]);
    expect(await (await A.request(`/v2/${org}/app/manifests/v1`)).text()).toBe(image.body);
  });

  it('chunks A, B, A: A does not reuse its running hash, which misses the chunk B appended', async () => {
    const org = uniqueOrg();
    const A = new OciTestClient(a.url);
    const B = new OciTestClient(b.url);
    for (const claimed of ['right', 'wrong'] as const) {
      const parts = [Buffer.alloc(70_000, 5), Buffer.alloc(60_000, 6), Buffer.alloc(50_000, 7)];
      const whole = Buffer.concat(parts);
      const location = await A.startUpload(`${org}/app`);
      expect((await A.request(location, { method: 'PATCH', body: parts[0], headers: { 'content-range': `0-${70_000 - 1}` } })).status).toBe(202);
      expect((await B.request(location, { method: 'PATCH', body: parts[1], headers: { 'content-range': `70000-${130_000 - 1}` } })).status).toBe(202);
      const digest = claimed === 'right' ? sha256(whole) : sha256(Buffer.concat([parts[0] as Buffer, parts[2] as Buffer]));
      const put = await A.request(`${location}?digest=${digest}`, { method: 'PUT', body: parts[2] });
      if (claimed === 'right') {
        expect(put.status).toBe(201);
        const got = await B.request(`/v2/${org}/app/blobs/${sha256(whole)}`);
        expect(Buffer.from(await got.arrayBuffer()).equals(whole)).toBe(true);
      } else {
        // The digest of what A alone saw: never stored under a digest its bytes do not have.
        expect(put.status).toBe(400);
        expect((await A.request(`/v2/${org}/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
      }
    }
  });

  it('completing on a process that never saw the upload re-reads it and checks the claimed digest', async () => {
    const org = uniqueOrg();
    const A = new OciTestClient(a.url);
    const B = new OciTestClient(b.url);
    const data = Buffer.alloc(120_000, 9);
    const wrong = await A.startUpload(`${org}/app`);
    expect((await A.request(wrong, { method: 'PATCH', body: data })).status).toBe(202);
    const refused = await B.request(`${wrong}?digest=${sha256('something else')}`, { method: 'PUT' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DIGEST_INVALID');
    expect((await B.request(`/v2/${org}/app/blobs/${sha256('something else')}`, { method: 'HEAD' })).status).toBe(404);
    const right = await A.startUpload(`${org}/app`);
    expect((await A.request(right, { method: 'PATCH', body: data })).status).toBe(202);
    expect((await B.request(`${right}?digest=${sha256(data)}`, { method: 'PUT' })).status).toBe(201);
  });

  it('an upload survives a restart of the registry between chunks', async () => {
    const org = uniqueOrg();
    const port = await freePort();
    let reg = await startRegistryProcess(databaseUrl as string, { dataDir, env, port });
    const first = Buffer.alloc(100_000, 3);
    const second = Buffer.alloc(50_000, 4);
    const location = await new OciTestClient(reg.url).startUpload(`${org}/app`);
    expect((await new OciTestClient(reg.url).request(location, { method: 'PATCH', body: first })).status).toBe(202);
    await reg.close();
    reg = await startRegistryProcess(databaseUrl as string, { dataDir, env, port });
    try {
      const c = new OciTestClient(reg.url);
      const status = await c.request(location);
      expect(status.headers.get('range')).toBe(`0-${first.length - 1}`);
      await c.request(location, { method: 'PATCH', body: second, headers: { 'content-range': `${first.length}-${first.length + second.length - 1}` } });
      const whole = Buffer.concat([first, second]);
      const put = await c.request(`${location}?digest=${sha256(whole)}`, { method: 'PUT' });
      expect(put.status).toBe(201);
      // A wrong digest after a restart is still caught (the bytes are re-read, not trusted).
      const location2 = await c.startUpload(`${org}/app`);
      await c.request(location2, { method: 'PATCH', body: first });
      expect((await c.request(`${location2}?digest=${sha256('not it')}`, { method: 'PUT' })).status).toBe(400);
    } finally {
      await reg.close();
    }
  }, 120_000);
});
