import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('has single-machine defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 5000, dataDir: './.wharf', storage: 'filesystem', auth: 'token' });
    expect(c.maxLayerBytes).toBe(10 * 1024 ** 3);
    expect(c.maxManifestBytes).toBe(4 * 1024 ** 2);
  });

  it('selects S3 when a bucket is configured', () => {
    const c = loadConfig({ WHARF_S3_BUCKET: 'b', WHARF_S3_ENDPOINT: 'http://127.0.0.1:9000' });
    expect(c.storage).toBe('s3');
    expect(c.s3).toMatchObject({ bucket: 'b', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, redirect: false });
  });

  it('lists every problem at once, naming each variable', () => {
    let err: unknown;
    try {
      loadConfig({ WHARF_PORT: 'abc', WHARF_AUTH: 'maybe', DATABASE_URL: 'mysql://x', WHARF_STORAGE: 's3', WHARF_FS_FSYNC: 'perhaps' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const needle of ['WHARF_PORT="abc"', 'WHARF_AUTH="maybe"', 'DATABASE_URL must use', 'needs WHARF_S3_BUCKET', 'WHARF_FS_FSYNC']) {
      expect(message).toContain(needle);
    }
  });

  it('serves HTTPS with a certificate pair or a self-signed CA, and says so in the public URL', () => {
    expect(loadConfig({ WHARF_TLS_CERT: '/c.pem', WHARF_TLS_KEY: '/k.pem' })).toMatchObject({ tls: 'files', publicUrl: 'https://127.0.0.1:5000' });
    expect(loadConfig({ WHARF_TLS: 'self-signed', WHARF_PORT: '5443' })).toMatchObject({ tls: 'self-signed', publicUrl: 'https://127.0.0.1:5443' });
    expect(loadConfig({})).toMatchObject({ tls: 'off', publicUrl: 'http://127.0.0.1:5000' });
    expect(() => loadConfig({ WHARF_TLS_CERT: '/c.pem' })).toThrow('WHARF_TLS_CERT and WHARF_TLS_KEY go together');
    expect(() => loadConfig({ WHARF_TLS: 'files' })).toThrow('WHARF_TLS=files needs WHARF_TLS_CERT and WHARF_TLS_KEY');
  });

  it('validates the data-store time limits', () => {
    expect(loadConfig({})).toMatchObject({ dbStatementTimeoutMs: 30_000, dbConnectTimeoutMs: 5_000, redisTimeoutMs: 2_000 });
    expect(() => loadConfig({ WHARF_REDIS_TIMEOUT_MS: '0' })).toThrow('WHARF_REDIS_TIMEOUT_MS');
  });
});
