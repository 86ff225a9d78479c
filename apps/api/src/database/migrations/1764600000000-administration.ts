import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Administration (README "Administration"): site admins and disabled accounts, API tokens stored as
 * a hash of their secret only, room deletion jobs, rooms' join block and last activity (the admin
 * list's sort key), and the audit log's target and acting token (its filters).
 */
export class Administration1764600000000 implements MigrationInterface {
  name = 'Administration1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE users
        ADD COLUMN is_admin boolean NOT NULL DEFAULT false,
        ADD COLUMN disabled_at timestamptz NULL,
        ADD COLUMN last_seen_at timestamptz NULL`);
    await runner.query(`
      ALTER TABLE rooms
        ADD COLUMN joins_blocked boolean NOT NULL DEFAULT false,
        ADD COLUMN last_activity_at timestamptz NOT NULL DEFAULT now()`);
    await runner.query(`UPDATE rooms r SET last_activity_at = COALESCE((SELECT max(m.created_at) FROM messages m WHERE m.room_id = r.id), r.created_at)`);
    await runner.query(`CREATE INDEX rooms_activity_idx ON rooms (last_activity_at DESC, id DESC)`);
    await runner.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        secret_sha256 bytea NOT NULL,
        scopes text[] NOT NULL,
        created_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz NULL,
        last_used_ip inet NULL,
        revoked_at timestamptz NULL
      )`);
    await runner.query(`CREATE INDEX api_tokens_created_idx ON api_tokens (created_at DESC, id DESC)`);
    await runner.query(`
      CREATE TABLE admin_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('room-deletion')),
        state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
        target jsonb NOT NULL,
        requested_by jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz NULL,
        finished_at timestamptz NULL,
        attempts int NOT NULL DEFAULT 0,
        result jsonb NULL,
        error text NULL
      )`);
    await runner.query(`CREATE INDEX admin_jobs_unfinished_idx ON admin_jobs (created_at) WHERE state IN ('queued', 'running')`);
    await runner.query(`ALTER TABLE audit_log ADD COLUMN target text NULL, ADD COLUMN token_id uuid NULL`);
    await runner.query(`CREATE INDEX audit_log_id_desc_idx ON audit_log (id DESC)`);
    await runner.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC) WHERE actor_id IS NOT NULL`);
    await runner.query(`CREATE INDEX audit_log_target_idx ON audit_log (target, id DESC) WHERE target IS NOT NULL`);
    await runner.query(`CREATE INDEX audit_log_token_idx ON audit_log (token_id, id DESC) WHERE token_id IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX audit_log_token_idx`);
    await runner.query(`DROP INDEX audit_log_target_idx`);
    await runner.query(`DROP INDEX audit_log_actor_idx`);
    await runner.query(`DROP INDEX audit_log_id_desc_idx`);
    await runner.query(`ALTER TABLE audit_log DROP COLUMN token_id, DROP COLUMN target`);
    await runner.query(`DROP TABLE admin_jobs`);
    await runner.query(`DROP TABLE api_tokens`);
    await runner.query(`DROP INDEX rooms_activity_idx`);
    await runner.query(`ALTER TABLE rooms DROP COLUMN last_activity_at, DROP COLUMN joins_blocked`);
    await runner.query(`ALTER TABLE users DROP COLUMN last_seen_at, DROP COLUMN disabled_at, DROP COLUMN is_admin`);
  }
}
