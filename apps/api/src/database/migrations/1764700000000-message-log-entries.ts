import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The messages table becomes the room's whole log (docs/protocol.md §9a): besides messages, the
 * membership lines ("joined", "left", "removed") and deletions take seqs of their own, so history and
 * resync carry them in order with the messages. `edit_of` names the message an edit replaces;
 * `target_seq` the message a deletion removed. A deleted message keeps its row (its place in the log)
 * without ciphertext: the constraint says only a live message has iv, ct and sig, and it has all three.
 */
export class MessageLogEntries1764700000000 implements MigrationInterface {
  name = 'MessageLogEntries1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE messages
      ADD COLUMN kind text NOT NULL DEFAULT 'message' CONSTRAINT messages_kind_check CHECK (kind IN ('message', 'joined', 'left', 'removed', 'deletion')),
      ADD COLUMN edit_of bigint NULL,
      ADD COLUMN target_seq bigint NULL,
      ADD COLUMN deleted_at timestamptz NULL,
      ALTER COLUMN iv DROP NOT NULL,
      ALTER COLUMN ct DROP NOT NULL,
      ALTER COLUMN sig DROP NOT NULL,
      ADD CONSTRAINT messages_ciphertext_check CHECK ((kind = 'message' AND deleted_at IS NULL) = (iv IS NOT NULL AND ct IS NOT NULL AND sig IS NOT NULL)),
      ADD CONSTRAINT messages_target_check CHECK ((kind = 'deletion') = (target_seq IS NOT NULL)),
      ADD CONSTRAINT messages_edit_of_check CHECK (edit_of IS NULL OR (kind = 'message' AND edit_of < seq))`);
    // Finding a message's edits when it is deleted.
    await runner.query(`CREATE INDEX messages_edit_of ON messages (room_id, edit_of) WHERE edit_of IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX messages_edit_of`);
    await runner.query(`DELETE FROM messages WHERE kind <> 'message' OR deleted_at IS NOT NULL`);
    await runner.query(`ALTER TABLE messages
      DROP CONSTRAINT messages_edit_of_check, DROP CONSTRAINT messages_target_check, DROP CONSTRAINT messages_ciphertext_check,
      DROP COLUMN deleted_at, DROP COLUMN target_seq, DROP COLUMN edit_of, DROP COLUMN kind,
      ALTER COLUMN iv SET NOT NULL, ALTER COLUMN ct SET NOT NULL, ALTER COLUMN sig SET NOT NULL`);
  }
}
