import { request } from 'node:http';
import fc from 'fast-check';
import { requireService } from '@wharf/testing';
import { startRegistryProcess, TestRegistry } from './support/test-registry';

/**
 * Property: whatever method, path, query, headers and body a client sends to `/v2`, the registry
 * answers with a status below 500 and keeps running, with nothing escaping a handler. Generated
 * requests against the real `registry` process (auth off, so they reach every handler; token
 * checks are in front of the same handlers). fast-check shrinks a failure to a small request;
 * its seed is printed (FC_SEED replays it).
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');

const safe = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
const junk = fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s));
const component = fc.oneof({ weight: 4, arbitrary: safe }, { weight: 1, arbitrary: junk });
const name = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const digest = fc.oneof(hex.map((h) => `sha256:${h}`), fc.constant('sha256:abc'), fc.constant('md5:00'), junk);
const reference = fc.oneof(safe, digest, junk, fc.constant('.INVALID'), fc.constant('x'.repeat(200)));
const uuid = fc.oneof(fc.uuid(), junk);
const tail = fc.oneof(
  reference.map((r) => `/manifests/${r}`),
  digest.map((d) => `/blobs/${d}`),
  fc.constant('/blobs/uploads/'),
  uuid.map((u) => `/blobs/uploads/${u}`),
  fc.constant('/tags/list'),
  digest.map((d) => `/referrers/${d}`),
  fc.constant(''),
);
const path = fc.oneof({ weight: 8, arbitrary: fc.tuple(name, tail).map(([n, t]) => `/v2/${n}${t}`) }, { weight: 1, arbitrary: fc.constant('/v2/_catalog') });
const queryValue = fc.oneof(safe, digest, fc.integer({ min: -5, max: 100_000 }).map(String), junk);
const query = fc.dictionary(fc.constantFrom('n', 'last', 'digest', 'mount', 'from', 'artifactType'), queryValue, { maxKeys: 3 });
const mediaType = fc.constantFrom(
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/octet-stream',
  'text/plain',
);
const headers = fc.record(
  {
    'content-type': fc.oneof(mediaType, safe),
    'content-range': fc.oneof(fc.tuple(fc.nat(5000), fc.nat(5000)).map(([a, b]) => `${a}-${b}`), safe),
    range: fc.oneof(fc.tuple(fc.nat(5000), fc.nat(5000)).map(([a, b]) => `bytes=${a}-${b}`), safe),
    accept: fc.oneof(mediaType, safe),
    authorization: fc.oneof(fc.constant('Bearer abc.def.ghi'), safe.map((s) => `Basic ${s}`)),
  },
  { requiredKeys: [] },
);
const manifestish = fc.record({
  schemaVersion: fc.oneof(fc.constant(2), fc.integer()),
  mediaType: fc.oneof(mediaType, safe),
  config: fc.record({ mediaType: mediaType, digest, size: fc.integer() }, { requiredKeys: [] }),
  layers: fc.array(fc.record({ mediaType, digest, size: fc.integer() }, { requiredKeys: [] }), { maxLength: 3 }),
  manifests: fc.array(fc.record({ mediaType, digest, size: fc.integer() }, { requiredKeys: [] }), { maxLength: 3 }),
}, { requiredKeys: [] });
const body = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  manifestish.map((m) => Buffer.from(JSON.stringify(m))),
  fc.json().map((j) => Buffer.from(j)),
);
const method = fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND');

function send(url: string, m: string, p: string, q: Record<string, string>, h: Record<string, string>, b: Buffer): Promise<number> {
  const search = new URLSearchParams(q).toString();
  const target = new URL(`${p}${search ? `?${search}` : ''}`, url);
  return new Promise((resolve, reject) => {
    const withBody = m !== 'GET' && m !== 'HEAD';
    const req = request(target, { method: m, headers: { ...h, 'content-length': String(withBody ? b.length : 0) }, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer to ${m} ${target.pathname}`)));
    req.once('error', reject);
    req.end(withBody ? b : undefined);
  });
}

(databaseUrl ? describe : describe.skip)('the /v2 handler under generated requests', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistryProcess(databaseUrl as string);
  }, 60_000);
  afterAll(() => reg?.close());

  it('never answers 500 and never stops, whatever the request', async () => {
    const seed = Number(process.env['FC_SEED'] ?? Date.now() % 1_000_000);
    let runs = 0;
    process.stdout.write(`registry fuzz seed: ${seed} (FC_SEED=${seed} replays it)\n`);
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, body, async (m, p, q, h, b) => {
        const status = await send(reg.url, m, p, q, h as Record<string, string>, b);
        runs++;
        return status >= 200 && status < 500;
      }),
      { numRuns: 400, seed, interruptAfterTimeLimit: 60_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(100); // not cut short by the time limit
    expect((await fetch(`${reg.url}/v2/`)).status).toBe(200);
    expect((reg.output as () => string)()).not.toMatch(/unhandled rejection|uncaught exception|request failed/);
  }, 120_000);
});
