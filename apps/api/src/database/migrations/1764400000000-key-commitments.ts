import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key commitments and boxes per sharer (docs/protocol.md §8). Every new epoch is announced by
 * its maker (room_epochs: the signed commitment to the epoch key). A recipient keeps one box per
 * sharer, so a box with a wrong key (a hostile member's, shared first) can never hide a good one
 * from another member; a sharer's second box replaces its own first. A key request remembers the
 * epochs whose boxes the requester could not use, so it waits for those although boxes exist.
 * Boxes stored before stay valid; epochs made before have no announcement.
 */
export class KeyCommitments1764400000000 implements MigrationInterface {
  name = 'KeyCommitments1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE key_boxes DROP CONSTRAINT key_boxes_pkey, ADD PRIMARY KEY (room_id, epoch, recipient_id, sharer_id)`);
    // A member's boxes in a room (key:boxes), which the primary key's order no longer serves.
    await runner.query(`CREATE INDEX key_boxes_recipient_idx ON key_boxes (room_id, recipient_id, epoch)`);
    await runner.query(`
      CREATE TABLE room_epochs (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        epoch integer NOT NULL,
        maker_id uuid NOT NULL REFERENCES users (id),
        commit text NOT NULL,
        sig text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, epoch)
      )`);
    await runner.query(`ALTER TABLE key_requests ADD COLUMN unusable_epochs integer[] NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE key_requests DROP COLUMN unusable_epochs`);
    await runner.query(`DROP TABLE room_epochs`);
    await runner.query(`DROP INDEX key_boxes_recipient_idx`);
    // One box per recipient and epoch again: the earliest stored stays.
    await runner.query(`
      DELETE FROM key_boxes b USING key_boxes earlier
       WHERE earlier.room_id = b.room_id AND earlier.epoch = b.epoch AND earlier.recipient_id = b.recipient_id
         AND (earlier.created_at, earlier.sharer_id) < (b.created_at, b.sharer_id)`);
    await runner.query(`ALTER TABLE key_boxes DROP CONSTRAINT key_boxes_pkey, ADD PRIMARY KEY (room_id, recipient_id, epoch)`);
  }
}
