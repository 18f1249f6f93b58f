import { execFileSync } from 'node:child_process';
import {
  ACCESS_KEY_PATTERN,
  hashPassword,
  loginKeyOf,
  newAccessKeyId,
  newSecretKey,
  parseRegionalLogin,
  parseRobotUsername,
  SecretBox,
  verifyPassword,
} from './credentials';
import { parseScope } from './scope';

describe('credentials', () => {
  it('computes the long-term login key exactly as the documented shell pipeline does', () => {
    const ak = newAccessKeyId();
    const sk = newSecretKey();
    const shell = execFileSync(
      'bash',
      ['-c', `printf "$AK" | openssl dgst -binary -sha256 -hmac "$SK" | od -An -vtx1 | sed 's/[ \\n]//g' | sed 'N;s/\\n//'`],
      { env: { ...process.env, AK: ak, SK: sk }, encoding: 'utf8' },
    ).replace(/\n/g, '');
    expect(loginKeyOf(ak, sk)).toBe(shell);
    expect(ACCESS_KEY_PATTERN.test(ak)).toBe(true);
  });

  it('hashes passwords with a salt and verifies them', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('wrong horse', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });

  it('seals secrets so they open only with the same key and untampered', () => {
    const box = new SecretBox('k'.repeat(32));
    const sealed = box.seal('the secret key');
    expect(sealed).not.toContain('the secret key');
    expect(box.open(sealed)).toBe('the secret key');
    expect(() => new SecretBox('other'.repeat(8)).open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
  });

  it('parses regional and robot login names', () => {
    expect(parseRegionalLogin('local@AKABC')).toEqual({ region: 'local', subject: 'AKABC' });
    expect(parseRegionalLogin('alice')).toBeNull();
    expect(parseRegionalLogin('@x')).toBeNull();
    expect(parseRobotUsername('robot$org+ci')).toEqual({ organization: 'org', name: 'ci' });
    expect(parseRobotUsername('robot-org-ci')).toBeNull();
  });
});

describe('parseScope', () => {
  it('parses repository and catalog scopes', () => {
    expect(parseScope('repository:org/app:pull,push')).toEqual({ type: 'repository', name: 'org/app', actions: ['pull', 'push'] });
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'catalog' });
  });

  it.each([
    ['repository:../x:pull', null],
    ['repository:org/../x:pull', null],
    ['repository:Org/App:pull', null],
    ['repository:org/app:8080:pull', null],
    ['registry:catalog:pull', null],
    ['plugin:org/app:pull', null],
    ['repository:org/app', null],
  ])('drops the escaping or malformed scope %s', (raw, expected) => {
    expect(parseScope(raw)).toEqual(expected);
  });

  it('ignores unknown and wildcard actions instead of granting them', () => {
    expect(parseScope('repository:a/b:pull,push,delete,*')).toEqual({ type: 'repository', name: 'a/b', actions: ['pull', 'push', 'delete'] });
    expect(parseScope('repository:a/b:admin,*')).toEqual({ type: 'repository', name: 'a/b', actions: [] });
  });
});
