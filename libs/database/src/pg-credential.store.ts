import { Pool } from 'pg';
import type { AccessKeyRecord, CredentialStore } from '@wharf/auth-core';

/** CredentialStore on Postgres: temporary login tokens (by hash) and access keys (SK sealed). */
export class PgCredentialStore implements CredentialStore {
  constructor(private readonly pool: Pool) {}

  async addTemporaryToken(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.pool.query('INSERT INTO temporary_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
  }
  async findTemporaryToken(tokenHash: string): Promise<{ userId: string; expiresAt: Date } | null> {
    const res = await this.pool.query({ name: 'temp-token', text: 'SELECT user_id, expires_at FROM temporary_tokens WHERE token_hash = $1', values: [tokenHash] });
    return res.rows[0] ? { userId: res.rows[0].user_id, expiresAt: res.rows[0].expires_at } : null;
  }
  async createAccessKey(accessKey: string, userId: string, secretSealed: string): Promise<void> {
    await this.pool.query('INSERT INTO access_keys (access_key, user_id, secret_sealed) VALUES ($1, $2, $3)', [accessKey, userId, secretSealed]);
  }
  async findAccessKey(accessKey: string): Promise<AccessKeyRecord | null> {
    const res = await this.pool.query({
      name: 'access-key',
      text: 'SELECT access_key, user_id, secret_sealed, enabled, created_at FROM access_keys WHERE access_key = $1',
      values: [accessKey],
    });
    const r = res.rows[0];
    return r ? { accessKey: r.access_key, userId: r.user_id, secretSealed: r.secret_sealed, enabled: r.enabled, createdAt: r.created_at } : null;
  }
  async listAccessKeys(userId: string): Promise<AccessKeyRecord[]> {
    const res = await this.pool.query('SELECT access_key, user_id, secret_sealed, enabled, created_at FROM access_keys WHERE user_id = $1 ORDER BY created_at', [userId]);
    return res.rows.map((r) => ({ accessKey: r.access_key, userId: r.user_id, secretSealed: r.secret_sealed, enabled: r.enabled, createdAt: r.created_at }));
  }
  async setAccessKeyEnabled(accessKey: string, userId: string, enabled: boolean): Promise<boolean> {
    const res = await this.pool.query('UPDATE access_keys SET enabled = $3 WHERE access_key = $1 AND user_id = $2', [accessKey, userId, enabled]);
    return (res.rowCount ?? 0) > 0;
  }
  async deleteAccessKey(accessKey: string, userId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM access_keys WHERE access_key = $1 AND user_id = $2', [accessKey, userId]);
    return (res.rowCount ?? 0) > 0;
  }}
