import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rooms and their members. rooms.last_seq is the room's message sequence counter; a member's
 * last_read_seq marks what they have read, so unread = last_seq - last_read_seq. current_epoch and
 * rotation_pending drive key rotation (docs/protocol.md §8).
 */
export class CreateRooms1764000000000 implements MigrationInterface {
  name = 'CreateRooms1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE rooms (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code char(4) NOT NULL,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
        owner_id uuid NOT NULL REFERENCES users (id),
        password_hash text NULL,
        max_members integer NOT NULL CHECK (max_members BETWEEN 2 AND 1000),
        history text NOT NULL CHECK (history IN ('shared', 'joined')),
        current_epoch integer NOT NULL DEFAULT 1,
        rotation_pending boolean NOT NULL DEFAULT false,
        last_seq bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE UNIQUE INDEX rooms_code_key ON rooms (code)`);
    await runner.query(`
      CREATE TABLE room_members (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id),
        role text NOT NULL CHECK (role IN ('owner', 'member')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        joined_epoch integer NOT NULL,
        -- The room's last_seq when this member joined: in a "joined" history room they see only later messages.
        joined_seq bigint NOT NULL DEFAULT 0,
        last_read_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (room_id, user_id)
      )`);
    await runner.query(`CREATE INDEX room_members_user_idx ON room_members (user_id)`);
    // One epoch key for one member, wrapped to them and signed by whoever shared it (docs/protocol.md §8).
    await runner.query(`
      CREATE TABLE key_boxes (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        epoch integer NOT NULL,
        recipient_id uuid NOT NULL REFERENCES users (id),
        sharer_id uuid NOT NULL REFERENCES users (id),
        wrapped text NOT NULL,
        sig text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, recipient_id, epoch)
      )`);
    // A member waiting for keys; kept until someone shares them, even while nobody is online.
    await runner.query(`
      CREATE TABLE key_requests (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id),
        requested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, user_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE key_requests`);
    await runner.query(`DROP TABLE key_boxes`);
    await runner.query(`DROP TABLE room_members`);
    await runner.query(`DROP TABLE rooms`);
  }
}
