import { Pool } from 'pg';
import type { SigningKeyRecord, SigningKeyStore } from '@wharf/auth-core';

/** SigningKeyStore on Postgres: token signing keys shared by every auth replica (private keys sealed). */
export class PgSigningKeyStore implements SigningKeyStore {
  constructor(private readonly pool: Pool) {}

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const res = await this.pool.query('SELECT kid, algorithm, private_key_sealed, public_jwk, created_at, retired_at FROM signing_keys');
    return res.rows.map((r) => ({
      kid: r.kid,
      algorithm: r.algorithm,
      privateKeySealed: r.private_key_sealed,
      publicJwk: r.public_jwk,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
    }));
  }
  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.pool.query('INSERT INTO signing_keys (kid, algorithm, private_key_sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)', [
      key.kid,
      key.algorithm,
      key.privateKeySealed,
      key.publicJwk,
      key.createdAt,
    ]);
  }
  async retireSigningKeys(olderThan: Date, except: string): Promise<void> {
    await this.pool.query('UPDATE signing_keys SET retired_at = now() WHERE created_at < $1 AND kid <> $2 AND retired_at IS NULL', [olderThan, except]);
  }}
