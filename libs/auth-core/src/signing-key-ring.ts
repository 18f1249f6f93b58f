import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { SecretBox } from '@wharf/identity';
import { Clock, SigningKeyRecord, SigningKeyStore } from './ports';

export interface ActiveKey {
  kid: string;
  privateKey: KeyObject;
}

/**
 * The token signing keys, shared by every auth replica through the store (private keys sealed).
 * The newest unretired key signs; every unretired key verifies and is published in the JWKS, so
 * after `rotate()` tokens signed by the previous key stay valid until they expire.
 */
export class SigningKeyRing {
  private cache: { at: number; keys: SigningKeyRecord[] } | null = null;
  private readonly privateKeys = new Map<string, KeyObject>();

  constructor(
    private readonly store: SigningKeyStore,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly cacheMs = 30_000,
  ) {}

  private async keys(force = false): Promise<SigningKeyRecord[]> {
    const now = Date.now();
    if (!force && this.cache && now - this.cache.at < this.cacheMs) return this.cache.keys;
    let keys = (await this.store.listSigningKeys()).filter((k) => k.retiredAt === null);
    if (keys.length === 0) {
      await this.store.addSigningKey(this.generate());
      keys = (await this.store.listSigningKeys()).filter((k) => k.retiredAt === null);
    }
    keys.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.kid.localeCompare(b.kid));
    this.cache = { at: now, keys };
    return keys;
  }

  async active(): Promise<ActiveKey> {
    const newest = (await this.keys())[0] as SigningKeyRecord;
    let privateKey = this.privateKeys.get(newest.kid);
    if (!privateKey) {
      privateKey = createPrivateKey(this.box.open(newest.privateKeySealed));
      this.privateKeys.set(newest.kid, privateKey);
    }
    return { kid: newest.kid, privateKey };
  }

  /** Public keys for verification; an unknown kid forces one reload (another replica may have rotated). */
  async publicKey(kid: string): Promise<KeyObject | null> {
    let key = (await this.keys()).find((k) => k.kid === kid);
    if (!key) key = (await this.keys(true)).find((k) => k.kid === kid);
    return key ? createPublicKey({ key: key.publicJwk as never, format: 'jwk' }) : null;
  }

  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    return { keys: (await this.keys()).map((k) => k.publicJwk) };
  }

  /** Adds a new signing key; keys older than `retireBefore` (if given) stop verifying. */
  async rotate(retireBefore?: Date): Promise<string> {
    const key = this.generate();
    await this.store.addSigningKey(key);
    if (retireBefore) await this.store.retireSigningKeys(retireBefore, key.kid);
    await this.keys(true);
    return key.kid;
  }

  private generate(): SigningKeyRecord {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(12).toString('base64url');
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'RS256', use: 'sig' };
    return {
      kid,
      algorithm: 'RS256',
      privateKeySealed: this.box.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
      publicJwk: jwk,
      createdAt: this.clock.now(),
      retiredAt: null,
    };
  }
}
