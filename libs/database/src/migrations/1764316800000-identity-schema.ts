import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity and access: accounts (tenants) and their users, organizations (global names) with
 * member grants and robot accounts, repository visibility and grants, shares with deadlines,
 * login credentials (temporary tokens, access keys with encrypted SKs), token signing keys and the
 * audit log. Secrets are stored only as hashes or sealed (see @wharf/identity credentials).
 */
export class IdentitySchema1764316800000 implements MigrationInterface {
  name = 'IdentitySchema1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        org_quota integer CHECK (org_quota >= 0),
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        username text COLLATE "C" NOT NULL UNIQUE,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'member')),
        is_admin boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX users_account_idx ON users (account_id)`);
    await q.query(`
      CREATE TABLE organizations (
        id bigserial PRIMARY KEY,
        name text COLLATE "C" NOT NULL UNIQUE,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
        storage_quota_bytes bigint CHECK (storage_quota_bytes >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX organizations_account_idx ON organizations (account_id)`);
    await q.query(`
      CREATE TABLE organization_members (
        organization_id bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        level smallint NOT NULL CHECK (level IN (1, 3, 7)),
        PRIMARY KEY (organization_id, user_id)
      )`);
    await q.query(`CREATE INDEX organization_members_user_idx ON organization_members (user_id)`);
    await q.query(`
      CREATE TABLE robots (
        id uuid PRIMARY KEY,
        organization_id bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        secret_hash text NOT NULL,
        level smallint NOT NULL CHECK (level IN (1, 3, 7)),
        expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, name)
      )`);
    await q.query(`ALTER TABLE repositories ADD COLUMN visibility text CHECK (visibility IN ('public', 'private'))`);
    await q.query(`
      CREATE TABLE repository_members (
        repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        level smallint NOT NULL CHECK (level IN (1, 3, 7)),
        PRIMARY KEY (repository_id, user_id)
      )`);
    await q.query(`
      CREATE TABLE shares (
        repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        deadline timestamptz,
        description text NOT NULL DEFAULT '',
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repository_id, account_id)
      )`);
    await q.query(`CREATE INDEX shares_account_idx ON shares (account_id)`);
    await q.query(`
      CREATE TABLE temporary_tokens (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX temporary_tokens_expiry_idx ON temporary_tokens (expires_at)`);
    await q.query(`
      CREATE TABLE access_keys (
        access_key text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        secret_sealed text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX access_keys_user_idx ON access_keys (user_id)`);
    await q.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        algorithm text NOT NULL,
        private_key_sealed text NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text,
        account_id uuid,
        action text NOT NULL,
        resource text,
        result text NOT NULL,
        client_address text,
        detail jsonb
      )`);
    await q.query(`CREATE INDEX audit_events_at_idx ON audit_events (at)`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_events', 'signing_keys', 'access_keys', 'temporary_tokens', 'shares', 'repository_members', 'robots', 'organization_members', 'organizations', 'users', 'accounts']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`ALTER TABLE repositories DROP COLUMN IF EXISTS visibility`);
  }
}
