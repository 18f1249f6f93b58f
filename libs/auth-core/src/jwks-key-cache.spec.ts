import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { JwksKeyCache } from './jwks-key-cache';

/** A JWKS endpoint that counts how often it is asked. */
function jwksServer(kids: string[]): { start(): Promise<string>; stop(): Promise<void>; fetches: () => number; add(kid: string): void } {
  let fetches = 0;
  const keys = new Map(kids.map((kid) => [kid, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })]));
  let server: Server;
  return {
    start: async () => {
      server = createServer((_req, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [...keys].map(([kid, jwk]) => ({ ...jwk, kid })) }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/token/jwks.json`;
    },
    stop: () => new Promise((r) => server.close(() => r())),
    fetches: () => fetches,
    add: (kid) => keys.set(kid, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })),
  };
}

describe('JwksKeyCache', () => {
  it('fetches the keys once, and again only for a key id it has not seen', async () => {
    const jwks = jwksServer(['k1', 'k2']);
    const cache = JwksKeyCache.overHttp(await jwks.start(), { minRefreshMs: 50 });
    try {
      for (let i = 0; i < 20; i++) expect(await cache.get(i % 2 ? 'k1' : 'k2')).not.toBeNull();
      expect(jwks.fetches()).toBe(1);
      jwks.add('k3'); // rotation
      expect(await cache.get('k3')).not.toBeNull();
      expect(jwks.fetches()).toBe(2);
      expect(await cache.get('k1')).not.toBeNull();
      expect(jwks.fetches()).toBe(2);
    } finally {
      await jwks.stop();
    }
  });

  it('coalesces unknown key ids into spaced refreshes, so made-up kids cannot flood the auth service', async () => {
    const jwks = jwksServer(['k1']);
    const cache = JwksKeyCache.overHttp(await jwks.start(), { minRefreshMs: 200 });
    try {
      await cache.get('k1');
      const started = Date.now();
      const unknown = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.get(`forged-${i}`)));
      expect(unknown.every((k) => k === null)).toBe(true);
      // 50 made-up kids at once: one refresh, not fifty.
      expect(jwks.fetches()).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      await jwks.stop();
    }
  });

  it('makes one refresh however the waiting requests fall on the clock (a slow, loaded machine)', async () => {
    const jwks = jwksServer(['k1']);
    const cache = JwksKeyCache.overHttp(await jwks.start(), { minRefreshMs: 200 });
    const realNow = Date.now.bind(Date);
    let skew = 0;
    try {
      await cache.get('k1');
      // Each request reads the clock 3 ms after the one before (as on a busy CI machine), so their
      // waits end at different moments, some after the first refresh has come back.
      const now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + (skew += 3));
      const unknown = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.get(`forged-${i}`)));
      now.mockRestore();
      expect(unknown.every((k) => k === null)).toBe(true);
      expect(jwks.fetches()).toBe(2);
    } finally {
      jest.restoreAllMocks();
      await jwks.stop();
    }
  });
});
