import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user's credential generation: API and refresh tokens carry the generation they were issued
 * at, and stop working once it moves on (a password change, or the user or its account disabled).
 */
export class CredentialGeneration1764489600000 implements MigrationInterface {
  name = 'CredentialGeneration1764489600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN credential_generation integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS credential_generation`);
  }
}
