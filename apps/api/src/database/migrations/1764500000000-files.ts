import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Encrypted files (docs/protocol.md §10): the files module's record of each uploaded ciphertext,
 * and the message that carries one. A file is pending until a message names it (message_seq NULL);
 * a deleted room leaves its files with room_id NULL for the sweeper to remove with their objects.
 */
export class Files1764500000000 implements MigrationInterface {
  name = 'Files1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE files (
        id uuid PRIMARY KEY,
        room_id uuid NULL REFERENCES rooms (id) ON DELETE SET NULL,
        uploader_id uuid NOT NULL REFERENCES users (id),
        mime text NOT NULL,
        bytes integer NOT NULL CHECK (bytes > 0),
        -- 'deleting': chosen for removal, its object being deleted; the row goes once the object has
        -- (a storage failure leaves the row for the next sweep to try again).
        state text NOT NULL CHECK (state IN ('uploading', 'stored', 'deleting')),
        message_seq bigint NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (message_seq IS NULL OR state <> 'uploading')
      )`);
    // The sweeper's two questions: pending uploads by age, and files of deleted rooms.
    await runner.query(`CREATE INDEX files_pending_idx ON files (created_at) WHERE message_seq IS NULL`);
    await runner.query(`CREATE INDEX files_orphaned_idx ON files (id) WHERE room_id IS NULL OR state = 'deleting'`);
    // Quota (an uploader's total) and a room's total.
    await runner.query(`CREATE INDEX files_uploader_idx ON files (uploader_id) INCLUDE (bytes) WHERE room_id IS NOT NULL`);
    await runner.query(`CREATE INDEX files_room_idx ON files (room_id) INCLUDE (bytes) WHERE message_seq IS NOT NULL`);
    // One message per file: a second message naming an attached file is refused (file-unavailable).
    // A files row never waits for a message to go: should one outlive its file, it loses the reference
    // (and its readers see a file message the server does not vouch for) instead of blocking the sweep.
    await runner.query(`ALTER TABLE messages ADD COLUMN file_id uuid NULL REFERENCES files (id) ON DELETE SET NULL`);
    await runner.query(`CREATE UNIQUE INDEX messages_file_id_key ON messages (file_id) WHERE file_id IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX messages_file_id_key`);
    await runner.query(`ALTER TABLE messages DROP COLUMN file_id`);
    await runner.query(`DROP TABLE files`);
  }
}
