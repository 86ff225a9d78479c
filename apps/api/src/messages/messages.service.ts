import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { HISTORY_PAGE_SIZE, type HistoryPage, type MessageEnvelope, RESYNC_MAX, type StoredMessage } from '@conclave/contracts';
import type { DataSource } from 'typeorm';
import { RoomsService } from '../rooms/rooms.service.js';

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

export type StoreOutcome = { stored: StoredMessage; duplicate: boolean } | { staleEpoch: number };

/** The message store: ciphertext and routing fields only; the server cannot read a message. */
@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rooms: RoomsService,
  ) {}

  /**
   * Stores a message under the room's next sequence number, in one transaction: when this resolves
   * the row is committed. A resend of a stored clientMsgId returns the stored message.
   */
  async store(senderId: string, envelope: MessageEnvelope): Promise<StoreOutcome> {
    const existing = await this.find(envelope.roomId, senderId, envelope.clientMsgId);
    if (existing) return { stored: existing, duplicate: true };
    try {
      return await this.db.transaction(async (tx) => {
        const slot = await this.rooms.allocateSeq(tx, envelope.roomId, envelope.epoch);
        if ('currentEpoch' in slot) return { staleEpoch: slot.currentEpoch };
        const [row]: MessageRow[] = await tx.query(
          `INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
          [envelope.roomId, slot.seq, senderId, envelope.epoch, envelope.clientMsgId, envelope.iv, envelope.ct, envelope.sig],
        );
        return { stored: toMessage(row!), duplicate: false };
      });
    } catch (err) {
      // Two copies of one resend racing: the loser finds the winner's row.
      if ((err as { code?: string }).code !== '23505') throw err;
      const winner = await this.find(envelope.roomId, senderId, envelope.clientMsgId);
      if (!winner) throw err;
      return { stored: winner, duplicate: true };
    }
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

  private async find(roomId: string, senderId: string, clientMsgId: string): Promise<StoredMessage | undefined> {
    const [row]: MessageRow[] = await this.db.query(`SELECT ${COLUMNS} FROM messages WHERE room_id = $1 AND sender_id = $2 AND client_msg_id = $3`, [
      roomId,
      senderId,
      clientMsgId,
    ]);
    return row && toMessage(row);
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
