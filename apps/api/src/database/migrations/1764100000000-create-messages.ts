import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages: ciphertext plus routing fields only. The primary key (room_id, seq) serves history
 * (newest first) and resync (after a seq); the unique key makes a resend idempotent.
 */
export class CreateMessages1764100000000 implements MigrationInterface {
  name = 'CreateMessages1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE messages (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        sender_id uuid NOT NULL REFERENCES users (id),
        epoch integer NOT NULL,
        client_msg_id uuid NOT NULL,
        iv text NOT NULL,
        ct text NOT NULL,
        sig text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, seq),
        CONSTRAINT messages_client_msg_id_key UNIQUE (room_id, sender_id, client_msg_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE messages`);
  }
}
