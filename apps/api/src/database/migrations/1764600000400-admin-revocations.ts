import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * users.admin_revoked_at: when an account's site-admin right was last revoked (null once granted
 * again). ADMIN_USERNAMES never grants an account an admin revoked explicitly (README "Administration").
 */
export class AdminRevocations1764600000400 implements MigrationInterface {
  name = 'AdminRevocations1764600000400';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE users ADD COLUMN admin_revoked_at timestamptz NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE users DROP COLUMN admin_revoked_at`);
  }
}
