import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { digestOf, DigestingStream, parseDigest } from './digest';

const HEX64 = 'a'.repeat(64);
const HEX128 = 'b'.repeat(128);

describe('parseDigest', () => {
  it('accepts sha256 and sha512', () => {
    expect(parseDigest(`sha256:${HEX64}`)).toEqual({ ok: true, value: { algorithm: 'sha256', hex: HEX64, digest: `sha256:${HEX64}` } });
    expect(parseDigest(`sha512:${HEX128}`).ok).toBe(true);
  });

  it.each([
    [`md5:${'a'.repeat(32)}`, 'unsupported digest algorithm "md5"'],
    [`sha256:${'a'.repeat(63)}`, 'must be 64 lowercase hex'],
    [`sha256:${'A'.repeat(64)}`, 'must be 64 lowercase hex'],
    [`sha512:${HEX64}`, 'must be 128 lowercase hex'],
    ['sha256', 'is not a digest'],
    ['sha256:../../etc/passwd', 'is not a digest'],
    ['', 'is not a digest'],
  ])('rejects %s', (value, problem) => {
    const r = parseDigest(value);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toContain(problem);
  });
});

describe('DigestingStream', () => {
  it('hashes and counts what flows through and can continue a hash', async () => {
    const hash = createHash('sha256');
    const first = new DigestingStream(hash, 0);
    await pipeline(Readable.from([Buffer.from('hello ')]), first, new Writable({ write: (_c, _e, cb) => cb() }));
    const second = new DigestingStream(first.takeHash(), first.count);
    await pipeline(Readable.from([Buffer.from('world')]), second, new Writable({ write: (_c, _e, cb) => cb() }));
    expect(`sha256:${second.takeHash()?.digest('hex')}`).toBe(digestOf('hello world'));
    expect(second.count).toBe(5);
  });

  it('fails once the running offset passes the limit', async () => {
    const s = new DigestingStream(null, 8, 10, () => new Error('too big'));
    await expect(
      pipeline(Readable.from([Buffer.from('abc')]), s, new Writable({ write: (_c, _e, cb) => cb() })),
    ).rejects.toThrow('too big');
  });
});
