import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { AdminUserSummary, KeyBackup, PublicKeys, SealedContactBook } from '@conclave/contracts';
import { type DataSource, type EntityManager, In, type Repository } from 'typeorm';
import { ContactBookService } from '../contacts/contact-book.service.js';
import { ApiTokensService } from '../tokens/api-tokens.service.js';
import { sessionKey } from '../session/hashed-session-store.js';
import { User } from './user.entity.js';

/** A user as the admin API shows one (AdminUserDetail without what other stores add: sessions, rooms). */
export interface AdminUserRecord extends AdminUserSummary {
  disabledAt: string | null;
}

interface AdminUserRow {
  id: string;
  username: string;
  is_admin: boolean;
  disabled_at: Date | null;
  created_at: Date;
  last_seen_at: Date | null;
}

const ADMIN_USER_COLUMNS = `id, username, is_admin, disabled_at, created_at, last_seen_at`;
const NO_SUCH_USER = 'No user has this id';

export interface NewUser {
  id: string;
  username: string;
  authHash: string;
  publicKeys: PublicKeys;
  keyBackup: KeyBackup;
  /** Named in ADMIN_USERNAMES: a site admin from the start if the deployment has no admin yet. */
  admin?: boolean;
}

/** The users table; other modules reach users only through this service (AuthModule exports it). */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly contactBooks: ContactBookService,
    private readonly tokens: ApiTokensService,
  ) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByIds(ids: string[]): Promise<User[]> {
    return ids.length ? this.users.findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ username });
  }

  /** Inserts the user; resolves to 'username-taken' / 'id-taken' when a unique key already exists. */
  async create(user: NewUser): Promise<'created' | 'created-admin' | 'username-taken' | 'id-taken'> {
    // A username ADMIN_USERNAMES lists becomes an admin only while the deployment has none (the first admin's bootstrap).
    const rows: Array<{ id: string; is_admin: boolean }> = await this.db.query(
      `INSERT INTO users (id, username, auth_hash, enc_public_key, sig_public_key, key_backup, is_admin)
       VALUES ($1, $2, $3, $4, $5, $6, $7 AND NOT EXISTS (SELECT 1 FROM users WHERE is_admin)) ON CONFLICT DO NOTHING RETURNING id, is_admin`,
      [user.id, user.username, user.authHash, user.publicKeys.enc, user.publicKeys.sig, JSON.stringify(user.keyBackup), user.admin ?? false],
    );
    if (rows.length === 1) return rows[0]!.is_admin ? 'created-admin' : 'created';
    return (await this.findByUsername(user.username)) ? 'username-taken' : 'id-taken';
  }

  /**
   * Swaps in a new credential and re-sealed backup and ends the user's other sessions, in one
   * transaction: either the new password works everywhere or nothing changed.
   */
  /**
   * The new credential and everything sealed under the new wrapKey, in one transaction; the user's
   * other sessions end. A contact book not re-sealed is deleted: it could not be opened any more.
   */
  async changeCredential(userId: string, authHash: string, sealed: { keyBackup: KeyBackup; contactBook?: SealedContactBook }, keepSessionId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`UPDATE users SET auth_hash = $2, key_backup = $3, credential_changed_at = now() WHERE id = $1`, [
        userId,
        authHash,
        JSON.stringify(sealed.keyBackup),
      ]);
      if (sealed.contactBook) await this.contactBooks.put(userId, sealed.contactBook, tx);
      else await this.contactBooks.remove(userId, tx);
      await tx.query(`DELETE FROM session WHERE sess ->> 'userId' = $1 AND sid <> $2`, [userId, sessionKey(keepSessionId)]);
    });
  }

  /** Ends every session of the user (all devices); resolves to how many there were. */
  async endSessions(userId: string, tx: EntityManager = this.db.manager): Promise<number> {
    const [, ended]: [unknown, number] = await tx.query(`DELETE FROM session WHERE sess ->> 'userId' = $1`, [userId]);
    return ended;
  }

  // The admin API's reads and writes (README "Administration").

  /**
   * Up to `limit` users after the username `after`, whose username starts with `prefix`, by username.
   * Bytewise order (COLLATE "C"): usernames are [a-z0-9_.-], and the keyset comparison and the sort
   * must agree whatever the database's collation.
   */
  async adminPage({ after, prefix, limit }: { after?: string; prefix?: string; limit: number }): Promise<AdminUserRecord[]> {
    const rows: AdminUserRow[] = await this.db.query(
      `SELECT ${ADMIN_USER_COLUMNS} FROM users
        WHERE ($1::text IS NULL OR username COLLATE "C" > $1) AND ($2::text IS NULL OR starts_with(username, $2))
        ORDER BY username COLLATE "C" LIMIT $3`,
      [after ?? null, prefix ?? null, limit],
    );
    return rows.map(toAdminUser);
  }

  /** 404 for an unknown id. */
  async adminUser(userId: string): Promise<AdminUserRecord> {
    const [row]: AdminUserRow[] = await this.db.query(`SELECT ${ADMIN_USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
    if (!row) throw new NotFoundException(NO_SUCH_USER);
    return toAdminUser(row);
  }

  /**
   * Disables the account and deletes its sessions in one transaction: REST calls answer 401 at once,
   * sockets close at the chat gateway's next session sweep, sign-in is refused. `changed` is false
   * when it was disabled already (its sessions are ended all the same). 404 for an unknown id.
   */
  async disable(userId: string): Promise<{ changed: boolean; sessionsEnded: number; tokensRevoked: number }> {
    return this.db.transaction(async (tx) => {
      const changed = await this.updateOne(tx, `UPDATE users SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING id`, userId);
      return { changed, sessionsEnded: await this.endSessions(userId, tx), tokensRevoked: await this.tokens.revokeAllOf(userId, tx) };
    });
  }

  /** Lets the account sign in again; false when it was not disabled. 404 for an unknown id. */
  enable(userId: string): Promise<boolean> {
    return this.updateOne(this.db.manager, `UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL RETURNING id`, userId);
  }

  /**
   * Grants or revokes site admin; false when it already was so. 404 for an unknown id. A revocation
   * also revokes the tokens the account made (they must not come back if it is made admin again) and
   * is remembered, so that ADMIN_USERNAMES never grants it back at a restart.
   */
  setAdmin(userId: string, admin: boolean): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await this.updateOne(
        tx,
        `UPDATE users SET is_admin = $2, admin_revoked_at = CASE WHEN $2 THEN NULL ELSE now() END WHERE id = $1 AND is_admin <> $2 RETURNING id`,
        userId,
        [admin],
      );
      if (changed && !admin) await this.tokens.revokeAllOf(userId, tx);
      return changed;
    });
  }

  /** Whether the UPDATE … RETURNING id changed the row; 404 when no user has the id. */
  private async updateOne(tx: EntityManager, update: string, userId: string, more: unknown[] = []): Promise<boolean> {
    const [rows]: [unknown[], number] = await tx.query(update, [userId, ...more]);
    if (rows.length) return true;
    const exists = await tx.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    if (!exists.length) throw new NotFoundException(NO_SUCH_USER);
    return false;
  }

  /**
   * Makes the accounts with these usernames site admins; returns those that were not admins yet
   * (one statement: of several instances starting together, each account is reported by one).
   */
  async grantAdminByUsername(usernames: readonly string[]): Promise<Array<{ id: string; username: string }>> {
    if (!usernames.length) return [];
    // Never one whose admin right was revoked explicitly: the list bootstraps admins, it does not overrule them.
    const [rows]: [Array<{ id: string; username: string }>, number] = await this.db.query(
      `UPDATE users SET is_admin = true WHERE username = ANY($1::text[]) AND NOT is_admin AND admin_revoked_at IS NULL RETURNING id, username`,
      [usernames],
    );
    return rows;
  }

  /** Of these usernames, those no account has yet. */
  async unregistered(usernames: readonly string[]): Promise<string[]> {
    if (!usernames.length) return [];
    const rows: Array<{ username: string }> = await this.db.query(`SELECT username FROM users WHERE username = ANY($1::text[])`, [usernames]);
    const taken = new Set(rows.map((r) => r.username));
    return usernames.filter((name) => !taken.has(name));
  }

  /** users.last_seen_at = now(): at sign-in and when a socket connects or disconnects. */
  async touchLastSeen(userId: string): Promise<void> {
    await this.db.query(`UPDATE users SET last_seen_at = now() WHERE id = $1`, [userId]);
  }
}

function toAdminUser(row: AdminUserRow): AdminUserRecord {
  return {
    id: row.id,
    username: row.username,
    admin: row.is_admin,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at?.toISOString() ?? null,
    disabledAt: row.disabled_at?.toISOString() ?? null,
  };
}
