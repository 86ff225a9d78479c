import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * socket_io_attachments: @socket.io/postgres-adapter's table (README "Deployment"). An event for other
 * instances goes by NOTIFY; one over NOTIFY's 8000 bytes is stored here and NOTIFY names its row.
 * Each instance deletes rows older than 30 s. Unlogged: a crash may empty it, and nothing in it
 * outlives the seconds it takes to deliver, so it costs no WAL.
 */
export class SocketIoAttachments1764600000600 implements MigrationInterface {
  name = 'SocketIoAttachments1764600000600';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE UNLOGGED TABLE socket_io_attachments (
      id bigserial UNIQUE,
      created_at timestamptz DEFAULT now(),
      payload bytea
    )`);
    await runner.query(`CREATE INDEX socket_io_attachments_created_at ON socket_io_attachments (created_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE socket_io_attachments`);
  }
}
