import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { KeyBackup, PublicKeys, SealedContactBook } from '@conclave/contracts';
import { type DataSource, In, type Repository } from 'typeorm';
import { ContactBookService } from '../contacts/contact-book.service.js';
import { sessionKey } from '../session/hashed-session-store.js';
import { User } from './user.entity.js';

export interface NewUser {
  id: string;
  username: string;
  authHash: string;
  publicKeys: PublicKeys;
  keyBackup: KeyBackup;
  /** A site admin from the start (a username named in ADMIN_USERNAMES). */
  admin?: boolean;
}

/** The users table; other modules reach users only through this service (AuthModule exports it). */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly contactBooks: ContactBookService,
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
  async create(user: NewUser): Promise<'created' | 'username-taken' | 'id-taken'> {
    const rows: Array<{ id: string }> = await this.db.query(
      `INSERT INTO users (id, username, auth_hash, enc_public_key, sig_public_key, key_backup, is_admin)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
      [user.id, user.username, user.authHash, user.publicKeys.enc, user.publicKeys.sig, JSON.stringify(user.keyBackup), user.admin ?? false],
    );
    if (rows.length === 1) return 'created';
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

  /** Ends every session of the user (all devices). */
  async endSessions(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM session WHERE sess ->> 'userId' = $1`, [userId]);
  }

  /**
   * Makes the accounts with these usernames site admins; returns those that were not admins yet
   * (one statement: of several instances starting together, each account is reported by one).
   */
  async grantAdminByUsername(usernames: readonly string[]): Promise<Array<{ id: string; username: string }>> {
    if (!usernames.length) return [];
    const [rows]: [Array<{ id: string; username: string }>, number] = await this.db.query(
      `UPDATE users SET is_admin = true WHERE username = ANY($1::text[]) AND NOT is_admin RETURNING id, username`,
      [usernames],
    );
    return rows;
  }

  /** users.last_seen_at = now(): at sign-in and when a socket connects or disconnects. */
  async touchLastSeen(userId: string): Promise<void> {
    await this.db.query(`UPDATE users SET last_seen_at = now() WHERE id = $1`, [userId]);
  }
}
