import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Credential formats and the crypto behind them. Passwords: scrypt with a per-password salt.
 * High-entropy random secrets (temporary tokens, robot secrets): SHA-256 (a slow hash adds
 * nothing there). Recoverable secrets (access-key SKs): AES-256-GCM under the configured key.
 */
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** Access keys: `AK` + 18 uppercase letters/digits, so they never look like a (lowercase) username. */
export const ACCESS_KEY_PATTERN = /^AK[A-Z0-9]{18}$/;
const AK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newAccessKeyId(): string {
  const bytes = randomBytes(18);
  return `AK${[...bytes].map((b) => AK_ALPHABET[b % AK_ALPHABET.length]).join('')}`;
}

export function newSecretKey(): string {
  return randomBytes(30).toString('base64url');
}

/**
 * The long-term login password of an access key: lowercase hex HMAC-SHA256 with key SK over
 * message AK — what `printf "$AK" | openssl dgst -binary -sha256 -hmac "$SK" | od -An -vtx1 | …` prints.
 */
export function loginKeyOf(accessKey: string, secretKey: string): string {
  return createHmac('sha256', secretKey).update(accessKey).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `<region>@<AK or username>` login names. */
export function parseRegionalLogin(username: string): { region: string; subject: string } | null {
  const at = username.indexOf('@');
  if (at <= 0 || at === username.length - 1) return null;
  return { region: username.slice(0, at), subject: username.slice(at + 1) };
}

/** Robot accounts log in as `robot$<organization>+<name>` (Harbor's convention). */
export function robotUsername(organization: string, name: string): string {
  return `robot$${organization}+${name}`;
}

export function parseRobotUsername(username: string): { organization: string; name: string } | null {
  const m = /^robot\$([^+]+)\+(.+)$/.exec(username);
  return m ? { organization: m[1] as string, name: m[2] as string } : null;
}

/** AES-256-GCM with a key derived from the configured secret: `v1.<iv>.<tag>.<ciphertext>` (base64url). */
export class SecretBox {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = createHash('sha256').update(`wharf-secret-box:${secret}`).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((x) => (typeof x === 'string' ? x : x.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
