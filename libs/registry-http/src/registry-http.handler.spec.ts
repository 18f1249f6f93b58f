import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { BlobService, ManifestService, noDownloadCounter, RegistryStore, UploadService } from '@wharf/registry-core';
import type { StorageDriver } from '@wharf/storage-api';
import { AllowAllAccess } from './access-control.port';
import { RegistryHttpHandler } from './registry-http.handler';

/** A store whose every call fails the way a bug would (not a known data-store error). */
const brokenStore = new Proxy({} as RegistryStore, {
  get: () => () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'digest')")),
});

describe('RegistryHttpHandler, a fault of ours', () => {
  let server: Server;
  let url: string;
  const logged: { message: string; fields: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    const limits = { maxLayerBytes: 1 << 20, maxManifestBytes: 1 << 20, redirectBlobs: false };
    const storage = {} as StorageDriver;
    const handler = new RegistryHttpHandler(
      new BlobService(brokenStore, storage, limits),
      new UploadService(brokenStore, storage, limits, () => '00000000-0000-4000-8000-000000000000'),
      new ManifestService(brokenStore, limits, noDownloadCounter),
      new AllowAllAccess(),
      limits,
      { error: (message, fields) => logged.push({ message, fields }) },
    );
    server = createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('answers 500 INTERNAL_ERROR with a request id, logs the error under the same id, and never the details to the client', async () => {
    const res = await fetch(`${url}/v2/org/app/manifests/v1`);
    expect(res.status).toBe(500);
    const id = res.headers.get('x-request-id') as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]).toEqual({ code: 'INTERNAL_ERROR', message: `internal server error (request id ${id})` });
    expect(JSON.stringify(body)).not.toContain('Cannot read');
    expect(logged.at(-1)).toMatchObject({ message: 'registry request failed', fields: { requestId: id, error: expect.stringContaining('Cannot read') } });
  });

  it("uses the client's X-Request-Id when it sends one", async () => {
    const res = await fetch(`${url}/v2/org/app/tags/list`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(logged.at(-1)?.fields['requestId']).toBe('trace-123');
  });
});
