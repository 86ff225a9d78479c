import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SealedContactBook } from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';

/** Stores each user's sealed contact book as it comes: ciphertext only. */
@Injectable()
export class ContactBookService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(userId: string): Promise<SealedContactBook | undefined> {
    const [row]: Array<{ iv: string; ct: string }> = await this.db.query(`SELECT iv, ct FROM contact_books WHERE user_id = $1`, [userId]);
    return row && { v: 1, iv: row.iv, ct: row.ct };
  }

  /** Stores the book (inside the caller's transaction when given one). */
  async put(userId: string, book: SealedContactBook, tx: EntityManager = this.db.manager): Promise<void> {
    await tx.query(
      `INSERT INTO contact_books (user_id, iv, ct) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET iv = EXCLUDED.iv, ct = EXCLUDED.ct, updated_at = now()`,
      [userId, book.iv, book.ct],
    );
  }

  async remove(userId: string, tx: EntityManager = this.db.manager): Promise<void> {
    await tx.query(`DELETE FROM contact_books WHERE user_id = $1`, [userId]);
  }
}
