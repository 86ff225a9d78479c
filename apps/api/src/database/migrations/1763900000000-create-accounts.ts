import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts: users (credential hash, public keys, sealed key backup), server-side sessions (the
 * connect-pg-simple layout, plus an index to end all of a user's sessions), login-failure counters
 * shared by every instance, spent captcha solutions, and secrets every instance must share (cookie
 * signing, captcha signing) so a load balancer can send a user to any of them.
 */
export class CreateAccounts1763900000000 implements MigrationInterface {
  name = 'CreateAccounts1763900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username text NOT NULL,
        auth_hash text NOT NULL,
        enc_public_key text NOT NULL,
        sig_public_key text NOT NULL,
        key_backup jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        credential_changed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9_.-]{3,32}$')
      )`);
    await runner.query(`CREATE UNIQUE INDEX users_username_key ON users (username)`);
    await runner.query(`
      CREATE TABLE session (
        sid varchar NOT NULL PRIMARY KEY,
        sess json NOT NULL,
        expire timestamp(6) NOT NULL
      )`);
    await runner.query(`CREATE INDEX session_expire_idx ON session (expire)`);
    await runner.query(`CREATE INDEX session_user_idx ON session ((sess ->> 'userId'))`);
    await runner.query(`
      CREATE TABLE login_failures (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        blocked_until timestamptz NULL
      )`);
    await runner.query(`
      CREATE TABLE spent_captchas (
        key text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX spent_captchas_expires_idx ON spent_captchas (expires_at)`);
    await runner.query(`
      CREATE TABLE server_secrets (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE server_secrets`);
    await runner.query(`DROP TABLE spent_captchas`);
    await runner.query(`DROP TABLE login_failures`);
    await runner.query(`DROP TABLE session`);
    await runner.query(`DROP TABLE users`);
  }
}
