import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The session table keys sessions by the SHA-256 of their id (HashedSessionStore), so a copy of the
 * database holds no cookie, and the cookie secret leaves the database (SESSION_SECRET or
 * DATA_DIR/session.secret). Sessions stored before, and the secret kept in server_secrets, are in
 * every older dump and backup: they end here, and the old secret is never used again (a dump taken
 * before the upgrade must not sign anyone in after it). Everyone signs in once more.
 */
export class HashSessionIds1764340000000 implements MigrationInterface {
  name = 'HashSessionIds1764340000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DELETE FROM session`);
    await runner.query(`DELETE FROM server_secrets WHERE name = 'session-cookie'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    // Hashed ids cannot be turned back into cookies' ids: everyone signs in again.
    await runner.query(`DELETE FROM session`);
  }
}
