import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { HISTORY_PAGE_SIZE, type HistoryPage, type MessageEnvelope, RESYNC_MAX, type StoredMessage } from '@conclave/contracts';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

interface MessageRow {
  room_id: string;
  seq: string;
  sender_id: string;
  epoch: number;
  client_msg_id: string;
  iv: string;
  ct: string;
  sig: string;
  created_at: Date;
}

const COLUMNS = 'room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig, created_at';

export type StoreOutcome =
  | { stored: StoredMessage; duplicate: boolean }
  | { refused: 'stale-epoch' | 'no-key'; currentEpoch: number };

/**
 * One statement, so one round trip and its own transaction: the room's next seq is taken (its row
 * lock orders concurrent senders) only if the envelope's epoch is current, the sender holds a box
 * for it, and the clientMsgId is new; the row is inserted under that seq; a resend gets its stored
 * row back. A racing second copy of one resend fails on the unique key and rolls back whole, so no
 * seq is ever skipped. It reads rooms and key_boxes (the rooms module's tables) because doing this
 * in separate queries was the send path's main cost (README "Performance").
 */
const STORE = `
  WITH earlier AS (
    SELECT ${COLUMNS} FROM messages WHERE room_id = $1 AND sender_id = $2 AND client_msg_id = $3
  ), slot AS (
    UPDATE rooms SET last_seq = last_seq + 1
     WHERE id = $1 AND current_epoch = $4 AND NOT EXISTS (SELECT 1 FROM earlier)
       AND EXISTS (SELECT 1 FROM key_boxes WHERE room_id = $1 AND recipient_id = $2 AND epoch = $4)
    RETURNING last_seq
  ), inserted AS (
    INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig)
    SELECT $1, last_seq, $2, $4, $3, $5, $6, $7 FROM slot
    RETURNING ${COLUMNS}
  )
  SELECT false AS duplicate, * FROM inserted UNION ALL SELECT true, * FROM earlier`;

/** The message store: ciphertext and routing fields only; the server cannot read a message. */
@Injectable()
export class MessagesService {
  /** TypeORM's own pg pool: the send path talks to it directly (no per-query wrapping). */
  private readonly pool: Pool;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  /**
   * Stores a message under the room's next sequence number: when this resolves the row is
   * committed. A resend of a stored clientMsgId returns the stored message.
   */
  async store(senderId: string, envelope: MessageEnvelope): Promise<StoreOutcome> {
    const { roomId, clientMsgId, epoch, iv, ct, sig } = envelope;
    let rows: Array<MessageRow & { duplicate: boolean }>;
    try {
      // A named statement: each pooled connection parses and plans it once, not per message.
      rows = (await this.pool.query<MessageRow & { duplicate: boolean }>({ name: 'message-store', text: STORE, values: [roomId, senderId, clientMsgId, epoch, iv, ct, sig] })).rows;
    } catch (err) {
      // Two copies of one resend racing: the loser finds the winner's row.
      if ((err as { code?: string }).code !== '23505') throw err;
      rows = (await this.db.query(`SELECT true AS duplicate, ${COLUMNS} FROM messages WHERE room_id = $1 AND sender_id = $2 AND client_msg_id = $3`, [
        roomId,
        senderId,
        clientMsgId,
      ])) as typeof rows;
      if (!rows[0]) throw err;
    }
    if (rows[0]) return { stored: toMessage(rows[0]), duplicate: rows[0].duplicate };
    return this.whyRefused(roomId, epoch);
  }

  /** Only on the refusal path: a stale epoch, or a current one the sender has no key for. */
  private async whyRefused(roomId: string, epoch: number): Promise<StoreOutcome> {
    const [room]: Array<{ current_epoch: number }> = await this.db.query(`SELECT current_epoch FROM rooms WHERE id = $1`, [roomId]);
    const currentEpoch = room?.current_epoch ?? 0;
    return { refused: epoch === currentEpoch ? 'no-key' : 'stale-epoch', currentEpoch };
  }

  /** Newest first, HISTORY_PAGE_SIZE at a time, before `before` (keyset: no OFFSET), from `readableFrom` on. */
  async history(roomId: string, readableFrom: number, before?: number): Promise<HistoryPage> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
      [roomId, readableFrom, before ?? Number.MAX_SAFE_INTEGER, HISTORY_PAGE_SIZE + 1],
    );
    return { messages: rows.slice(0, HISTORY_PAGE_SIZE).map(toMessage), more: rows.length > HISTORY_PAGE_SIZE };
  }

  /** Oldest first after `afterSeq`, for a client catching up after a reconnect. */
  async resync(roomId: string, readableFrom: number, afterSeq: number): Promise<HistoryPage> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
      [roomId, Math.max(afterSeq, readableFrom), RESYNC_MAX + 1],
    );
    return { messages: rows.slice(0, RESYNC_MAX).map(toMessage), more: rows.length > RESYNC_MAX };
  }
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    roomId: row.room_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    epoch: row.epoch,
    clientMsgId: row.client_msg_id,
    iv: row.iv,
    ct: row.ct,
    sig: row.sig,
    createdAt: row.created_at.toISOString(),
  };
}
