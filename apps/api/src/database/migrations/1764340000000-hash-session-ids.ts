import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The session table keys sessions by the SHA-256 of their id (HashedSessionStore), so a copy of the
 * database holds no cookie. Existing rows are hashed in place: whoever is signed in stays signed in.
 * The cookie secret an older version kept in server_secrets is moved out of the database by the
 * server at start (ServerSecretsService), which can write it to DATA_DIR; a migration cannot.
 */
export class HashSessionIds1764340000000 implements MigrationInterface {
  name = 'HashSessionIds1764340000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`UPDATE session SET sid = encode(sha256(convert_to(sid, 'UTF8')), 'hex')`);
  }

  async down(runner: QueryRunner): Promise<void> {
    // A hash cannot be turned back into the cookie's id: everyone signs in again.
    await runner.query(`DELETE FROM session`);
  }
}
