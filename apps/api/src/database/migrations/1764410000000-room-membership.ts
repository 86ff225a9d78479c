import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Membership the server cannot forge (docs/protocol.md, "Membership"): a room's signed genesis, the
 * signed admission of every member (kept after they leave: an admission stays a link in the chain),
 * join requests waiting for a member's browser, invites, and the room password's admitKey sealed for
 * members. The server stores and verifies these; it can make none of them.
 *
 * Rooms that had a v1 password keep its bcrypt hash: no joinKey matches it, so the room refuses joins
 * (as if the password were wrong) until its owner sets the password again (password_sealed_* is null
 * until then).
 */
export class RoomMembership1764410000000 implements MigrationInterface {
  name = 'RoomMembership1764410000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE room_genesis (
        room_id uuid PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
        creator_id uuid NOT NULL REFERENCES users (id),
        creator_keys text NOT NULL,
        sig text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE room_admissions (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        member_id uuid NOT NULL REFERENCES users (id),
        member_keys text NOT NULL,
        admitter_id uuid NOT NULL REFERENCES users (id),
        via text NOT NULL CHECK (via IN ('approval', 'invite', 'password', 'upgrade')),
        -- The admitter's clock (milliseconds since 1970), as signed.
        admitted_at bigint NOT NULL,
        sig text NOT NULL,
        PRIMARY KEY (room_id, member_id)
      )`);
    await runner.query(`
      CREATE TABLE room_invites (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        id text NOT NULL CHECK (id ~ '^[A-Za-z0-9_-]{22}$'),
        created_by uuid NOT NULL REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        max_uses integer NOT NULL CHECK (max_uses >= 1),
        uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
        revoked_at timestamptz NULL,
        -- The invite's verifier key sealed under an epoch key (members open it to check join proofs).
        sealed_epoch integer NOT NULL,
        sealed_iv text NOT NULL,
        sealed_ct text NOT NULL,
        PRIMARY KEY (room_id, id)
      )`);
    await runner.query(`
      CREATE TABLE room_join_requests (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id),
        via text NOT NULL CHECK (via IN ('approval', 'invite', 'password')),
        invite_id text NULL,
        proof text NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, user_id),
        CHECK ((via = 'invite') = (invite_id IS NOT NULL))
      )`);
    await runner.query(`CREATE INDEX room_join_requests_user_idx ON room_join_requests (user_id)`);
    // The password's admitKey sealed under an epoch key: all three set once the owner has set the password.
    await runner.query(`ALTER TABLE rooms ADD COLUMN password_sealed_epoch integer NULL, ADD COLUMN password_sealed_iv text NULL, ADD COLUMN password_sealed_ct text NULL`);
    await runner.query(`
      ALTER TABLE rooms ADD CONSTRAINT rooms_password_sealed_check
        CHECK ((password_sealed_epoch IS NULL) = (password_sealed_ct IS NULL) AND (password_sealed_iv IS NULL) = (password_sealed_ct IS NULL)
               AND (password_sealed_ct IS NULL OR password_hash IS NOT NULL))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE rooms DROP CONSTRAINT rooms_password_sealed_check`);
    await runner.query(`ALTER TABLE rooms DROP COLUMN password_sealed_epoch, DROP COLUMN password_sealed_iv, DROP COLUMN password_sealed_ct`);
    await runner.query(`DROP TABLE room_join_requests`);
    await runner.query(`DROP TABLE room_invites`);
    await runner.query(`DROP TABLE room_admissions`);
    await runner.query(`DROP TABLE room_genesis`);
  }
}
