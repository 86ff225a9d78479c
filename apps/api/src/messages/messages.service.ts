import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DeleteResult, HISTORY_PAGE_SIZE, type HistoryPage, RESYNC_MAX, type RoomNotice, type SendMessageRequest, type StoredMessage } from '@conclave/contracts';
import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { DATABASE_POOL } from '../database/database.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { APPEND_NOTICE, COLUMNS, DELETE_MESSAGE, isMessage, LOCK_ROOM, type MessageRow, STORE_BATCH, toMessage, toNotice } from './message-rows.js';
import { MessageSignatures } from './message-signatures.js';

export type StoreOutcome =
  | { stored: StoredMessage; duplicate: boolean }
  | { refused: 'stale-epoch' | 'no-key' | 'rotation-pending'; currentEpoch: number }
  | { refused: 'bad-signature' | 'file-unavailable' | 'not-editable' | 'too-long' };

interface Pending {
  senderId: string;
  envelope: SendMessageRequest;
  /** The signature check, started on arrival, awaited by the writer in arrival order. */
  signed: Promise<boolean>;
  resolve: (outcome: StoreOutcome) => void;
  reject: (err: unknown) => void;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** The most envelopes one statement stores. */
const MAX_BATCH = 256;

/**
 * The message store: ciphertext and routing fields only; the server cannot read a message.
 * Sends are written by one writer in batches (group commit): while a statement is in flight the
 * next envelopes queue, and the next statement takes them all. A lone message is written at once;
 * under load one round trip and one commit serve many. Every envelope's signature is checked
 * (MessageSignatures) while it waits; one that does not verify is refused and never written.
 */
@Injectable()
export class MessagesService {
  private queue: Pending[] = [];
  private writing = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    /** TypeORM's own pg pool: the send path talks to it directly (no per-query wrapping). */
    @Inject(DATABASE_POOL) private readonly pool: Pool,
    private readonly signatures: MessageSignatures,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores a message under the room's next sequence number: when this resolves the row is
   * committed. A resend of a stored clientMsgId returns the stored message. An envelope `senderId`
   * did not sign for its room, epoch and clientMsgId is refused ('bad-signature').
   */
  store(senderId: string, envelope: SendMessageRequest): Promise<StoreOutcome> {
    // MESSAGE_MAX_CHARS, as its ciphertext bound (the DTO allows the protocol's highest limit).
    if (Buffer.byteLength(envelope.ct, 'base64') > this.config.chat.message.ciphertextBytes) return Promise.resolve({ refused: 'too-long' });
    // A file message is not edited, and an edit carries no file.
    if (envelope.editOf !== undefined && envelope.fileId !== undefined) return Promise.resolve({ refused: 'not-editable' });
    const signed = this.signatures.verify(senderId, envelope);
    // Awaited by the writer; until then a failure must not count as unhandled.
    signed.catch(() => undefined);
    return new Promise((resolve, reject) => {
      this.queue.push({ senderId, envelope, signed, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /**
   * A failed batch (the database down or not answering) rejects every send waiting on it, and the
   * writer goes on with the next: nothing stays queued behind a failure, and the writer never stops.
   */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch = await this.signedOnly(this.queue.splice(0, MAX_BATCH));
        if (!batch.length) continue;
        try {
          const outcomes = await this.storeBatch(batch);
          batch.forEach((p, i) => p.resolve(outcomes[i]!));
        } catch (err) {
          if (!isUniqueViolation(err)) batch.forEach((p) => p.reject(err));
          // Two copies of one clientMsgId in the batch: one at a time, so the second finds the first.
          else for (const p of batch) await this.storeOne(p).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * The envelopes of `queued` whose signature verifies, in arrival order (the checks ran in parallel
   * while they waited); the others are answered here: refused, or failed with the check's error.
   */
  private async signedOnly(queued: Pending[]): Promise<Pending[]> {
    const checks = await Promise.allSettled(queued.map((p) => p.signed));
    return queued.filter((p, i) => {
      const check = checks[i]!;
      if (check.status === 'rejected') p.reject(check.reason);
      else if (!check.value) p.resolve({ refused: 'bad-signature' });
      return check.status === 'fulfilled' && check.value;
    });
  }

  private async storeOne(p: Pending): Promise<StoreOutcome> {
    try {
      return (await this.storeBatch([p]))[0]!;
    } catch (err) {
      // A copy committed by another instance in the meantime: now it is found as a duplicate.
      if (!isUniqueViolation(err)) throw err;
      return (await this.storeBatch([p]))[0]!;
    }
  }

  private async storeBatch(batch: Pending[]): Promise<StoreOutcome[]> {
    const column = <K extends keyof SendMessageRequest>(key: K) => batch.map((p) => p.envelope[key] ?? null);
    // A named statement: each pooled connection parses and plans it once.
    const { rows } = await this.pool.query<MessageRow & { duplicate: boolean }>({
      name: 'messages-store',
      text: STORE_BATCH,
      values: [column('roomId'), batch.map((p) => p.senderId), column('clientMsgId'), column('epoch'), column('iv'), column('ct'), column('sig'), column('fileId'), column('editOf')],
    });
    this.metrics.messagesCommitted(rows.filter((row) => !row.duplicate).length);
    const byKey = new Map(rows.map((row) => [`${row.room_id} ${row.sender_id} ${row.client_msg_id}`, row]));
    return Promise.all(
      batch.map(async ({ senderId, envelope }) => {
        const row = byKey.get(`${envelope.roomId} ${senderId} ${envelope.clientMsgId}`);
        return row ? { stored: toMessage(row), duplicate: row.duplicate } : this.whyRefused(senderId, envelope);
      }),
    );
  }

  /**
   * Only on the refusal path: a stale epoch, a key being replaced, a current one the sender has no
   * key for; with all of those fine, the file the message names was not attachable (not the
   * sender's, not stored, in another room, already carried, or swept), or the message an edit names
   * was not editable.
   */
  private async whyRefused(senderId: string, { roomId, epoch, fileId, editOf }: SendMessageRequest): Promise<StoreOutcome> {
    const [room]: Array<{ current_epoch: number; rotation_pending: boolean; has_key: boolean }> = await this.db.query(
      `SELECT current_epoch, rotation_pending,
              EXISTS (SELECT 1 FROM key_boxes b WHERE b.room_id = r.id AND b.recipient_id = $2 AND b.epoch = r.current_epoch) AS has_key
         FROM rooms r WHERE id = $1`,
      [roomId, senderId],
    );
    const currentEpoch = room?.current_epoch ?? 0;
    if (epoch !== currentEpoch) return { refused: 'stale-epoch', currentEpoch };
    if (room?.rotation_pending) return { refused: 'rotation-pending', currentEpoch };
    if (fileId && room?.has_key) return { refused: 'file-unavailable' };
    if (editOf && room?.has_key) return { refused: 'not-editable' };
    return { refused: 'no-key', currentEpoch };
  }

  /**
   * Deletes one of `senderId`'s messages for everyone (docs/protocol.md §9c): its ciphertext and its
   * edits' are gone when this resolves; the returned deletion entry is what the room is told.
   * Undefined when there is no such message of theirs to delete (another's, an edit, already deleted).
   */
  async delete(senderId: string, roomId: string, seq: number): Promise<{ notice: RoomNotice; result: DeleteResult } | undefined> {
    const [row] = await this.db.transaction(async (tx): Promise<MessageRow[]> => {
      // Its own statement: the next one's snapshot then holds every edit committed before the lock.
      await tx.query(LOCK_ROOM, [roomId]);
      return tx.query(DELETE_MESSAGE, [roomId, senderId, seq]);
    });
    if (!row) return undefined;
    const notice = toNotice(row);
    return { notice, result: { seq: notice.seq, createdAt: notice.createdAt } };
  }

  /** Appends a membership line to the room's log (docs/protocol.md §9a); undefined when the room is gone. */
  async appendMembership(roomId: string, userId: string, change: 'joined' | 'left' | 'removed'): Promise<RoomNotice | undefined> {
    const [row]: MessageRow[] = await this.db.query(APPEND_NOTICE, [roomId, userId, change]);
    return row && toNotice(row);
  }

  /** How many messages the room holds, edits and deleted ones not counted (in `tx` when given: the room deletion job counts under the room's lock). */
  async countOf(roomId: string, tx: EntityManager = this.db.manager): Promise<number> {
    const [row]: Array<{ n: string }> = await tx.query(
      `SELECT count(*) AS n FROM messages WHERE room_id = $1 AND kind = 'message' AND edit_of IS NULL AND deleted_at IS NULL`,
      [roomId],
    );
    return Number(row!.n);
  }

  /** Newest first, HISTORY_PAGE_SIZE entries at a time, before `before` (keyset: no OFFSET), from `readableFrom` on. */
  async history(roomId: string, readableFrom: number, before?: number): Promise<HistoryPage> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
      [roomId, readableFrom, before ?? Number.MAX_SAFE_INTEGER, HISTORY_PAGE_SIZE + 1],
    );
    return page(rows.slice(0, HISTORY_PAGE_SIZE), rows.length > HISTORY_PAGE_SIZE);
  }

  /** Oldest first after `afterSeq`, for a client catching up after a reconnect. */
  async resync(roomId: string, readableFrom: number, afterSeq: number): Promise<HistoryPage> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
      [roomId, Math.max(afterSeq, readableFrom), RESYNC_MAX + 1],
    );
    return page(rows.slice(0, RESYNC_MAX), rows.length > RESYNC_MAX);
  }
}

/** A page of the log: readable messages and the other entries, each in the rows' order. */
function page(rows: MessageRow[], more: boolean): HistoryPage {
  return { messages: rows.filter(isMessage).map(toMessage), notices: rows.filter((row) => !isMessage(row)).map(toNotice), more };
}
