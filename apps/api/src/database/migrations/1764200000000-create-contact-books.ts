import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each user's contact book (docs/protocol.md §5.3–5.4: which identity keys they accepted and verified), sealed in
 * the browser under wrapKey: the server keeps it so it follows the user, and cannot read it.
 */
export class CreateContactBooks1764200000000 implements MigrationInterface {
  name = 'CreateContactBooks1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE contact_books (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        iv text NOT NULL,
        ct text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE contact_books`);
  }
}
