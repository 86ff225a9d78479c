import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The security audit log: who did what, when, from where; never message content or secrets. */
export class CreateAuditLog1763830000000 implements MigrationInterface {
  name = 'CreateAuditLog1763830000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        event text NOT NULL,
        actor_id uuid NULL,
        ip inet NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await runner.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
    await runner.query(`CREATE INDEX audit_log_event_at_idx ON audit_log (event, at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE audit_log`);
  }
}
