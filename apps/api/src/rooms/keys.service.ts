import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KeyBox, PublicKeys } from '@conclave/contracts';
import { importPublicKeys, verifyKeyBox } from '@conclave/crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { UsersService } from '../auth/users/users.service.js';

/** Why a key operation was refused; the gateway turns it into a coded socket error. */
export class KeyRefusal extends Error {
  constructor(
    readonly code: 'invalid-payload' | 'not-member' | 'epoch-conflict',
    message: string,
    readonly currentEpoch?: number,
  ) {
    super(message);
  }
}

interface BoxRow {
  room_id: string;
  epoch: number;
  recipient_id: string;
  sharer_id: string;
  wrapped: string;
  sig: string;
}

/**
 * Key boxes and epochs (shared/design/e2e.md §3). The server stores and routes boxes; it checks
 * every box's signature against its sharer's key, so it cannot be handed boxes in a member's name
 * (and cannot make any: it has no member's private key).
 */
@Injectable()
export class KeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
  ) {}

  /**
   * Makes `epoch` the room's current epoch, with one box per member, exactly once: the first epoch of
   * a room without a key, or current + 1 (rotation). A second maker of the same epoch is refused.
   */
  async newEpoch(userId: string, roomId: string, epoch: number, boxes: KeyBox[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [room] = await tx.query(`SELECT current_epoch FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
      const members = await this.memberIds(tx, roomId);
      if (!room || !members.has(userId)) throw new KeyRefusal('not-member', 'You are not a member of this room');
      const current: number = room.current_epoch;
      const [{ keyed }] = await tx.query(`SELECT EXISTS (SELECT 1 FROM key_boxes WHERE room_id = $1 AND epoch = $2) AS keyed`, [roomId, current]);
      const next = keyed ? current + 1 : current;
      if (epoch !== next) throw new KeyRefusal('epoch-conflict', `The next epoch of this room is ${next}, not ${epoch}`, current);
      const recipients = new Set(boxes.map((b) => b.recipientId));
      if (recipients.size !== boxes.length || recipients.size !== members.size || [...members].some((m) => !recipients.has(m))) {
        throw new KeyRefusal('invalid-payload', 'A new epoch needs exactly one box for every current member');
      }
      await this.checkBoxes(boxes, userId, roomId, (box) => box.epoch === epoch);
      await this.insertBoxes(tx, boxes);
      await tx.query(`UPDATE rooms SET current_epoch = $2, rotation_pending = false WHERE id = $1`, [roomId, epoch]);
    });
  }

  /** Records that `userId` needs keys; returns the epochs they lack (empty: nothing to wait for). */
  async request(userId: string, roomId: string): Promise<number[]> {
    const epochs = await this.missingEpochs(roomId, userId);
    if (epochs.length) await this.db.query(`INSERT INTO key_requests (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [roomId, userId]);
    return epochs;
  }

  /**
   * Stores boxes a member shares with waiting members: signed by the sender, for members of the
   * room, for epochs the sender holds. Returns, per recipient, the epochs they received.
   */
  async share(userId: string, roomId: string, boxes: KeyBox[]): Promise<Map<string, number[]>> {
    const members = await this.memberIds(this.db.manager, roomId);
    if (!members.has(userId)) throw new KeyRefusal('not-member', 'You are not a member of this room');
    const held = new Set((await this.boxesFor(userId, roomId)).map((b) => b.epoch));
    await this.checkBoxes(boxes, userId, roomId, (box) => members.has(box.recipientId) && held.has(box.epoch));
    await this.insertBoxes(this.db.manager, boxes);
    const delivered = new Map<string, number[]>();
    for (const box of boxes) delivered.set(box.recipientId, [...(delivered.get(box.recipientId) ?? []), box.epoch]);
    for (const recipient of delivered.keys()) {
      if ((await this.missingEpochs(roomId, recipient)).length === 0) {
        await this.db.query(`DELETE FROM key_requests WHERE room_id = $1 AND user_id = $2`, [roomId, recipient]);
      }
    }
    return delivered;
  }

  async boxesFor(userId: string, roomId: string): Promise<KeyBox[]> {
    const rows: BoxRow[] = await this.db.query(
      `SELECT room_id, epoch, recipient_id, sharer_id, wrapped, sig FROM key_boxes WHERE room_id = $1 AND recipient_id = $2 ORDER BY epoch`,
      [roomId, userId],
    );
    return rows.map(toBox);
  }

  /** Waiting requests in `roomIds` that `userId` can serve (they hold the room's current epoch). */
  async pendingFor(userId: string, roomIds: string[]): Promise<Array<{ roomId: string; requesterId: string; publicKeys: PublicKeys; epochs: number[] }>> {
    if (!roomIds.length) return [];
    const rows: Array<{ room_id: string; user_id: string }> = await this.db.query(
      `SELECT q.room_id, q.user_id FROM key_requests q JOIN rooms r ON r.id = q.room_id
        WHERE q.room_id = ANY($1) AND q.user_id <> $2
          AND EXISTS (SELECT 1 FROM key_boxes b WHERE b.room_id = q.room_id AND b.recipient_id = $2 AND b.epoch = r.current_epoch)`,
      [roomIds, userId],
    );
    const result = [];
    for (const row of rows) {
      const [user] = await this.users.findByIds([row.user_id]);
      const epochs = await this.missingEpochs(row.room_id, row.user_id);
      if (user && epochs.length) result.push({ roomId: row.room_id, requesterId: row.user_id, publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey }, epochs });
    }
    return result;
  }

  /** For a room marked for rotation: the epoch to make and the members (with their keys) to make it for. */
  async rotation(roomId: string): Promise<{ nextEpoch: number; members: Array<{ userId: string; publicKeys: PublicKeys }> } | undefined> {
    const [room] = await this.db.query(`SELECT current_epoch, rotation_pending FROM rooms WHERE id = $1`, [roomId]);
    if (!room?.rotation_pending) return undefined;
    const users = await this.users.findByIds([...(await this.memberIds(this.db.manager, roomId))]);
    return { nextEpoch: room.current_epoch + 1, members: users.map((u) => ({ userId: u.id, publicKeys: { enc: u.encPublicKey, sig: u.sigPublicKey } })) };
  }

  /** Epochs the member may read but has no box for: all of them in a "shared" room, the current one in a "joined" room. */
  private async missingEpochs(roomId: string, userId: string): Promise<number[]> {
    const [room] = await this.db.query(
      `SELECT r.current_epoch, r.history, m.joined_epoch FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1`,
      [roomId, userId],
    );
    if (!room) throw new KeyRefusal('not-member', 'You are not a member of this room');
    const [{ keyed }] = await this.db.query(`SELECT EXISTS (SELECT 1 FROM key_boxes WHERE room_id = $1 AND epoch = $2) AS keyed`, [roomId, room.current_epoch]);
    if (!keyed) return []; // nobody holds a key yet: the first epoch is made, not shared
    const first = room.history === 'shared' ? 1 : room.joined_epoch;
    const have = new Set((await this.boxesFor(userId, roomId)).map((b) => b.epoch));
    const epochs = [];
    for (let e = first; e <= room.current_epoch; e++) if (!have.has(e)) epochs.push(e);
    return epochs;
  }

  private async checkBoxes(boxes: KeyBox[], sharerId: string, roomId: string, allowed: (box: KeyBox) => boolean): Promise<void> {
    const [sharer] = await this.users.findByIds([sharerId]);
    const sharerSig = (await importPublicKeys({ enc: sharer!.encPublicKey, sig: sharer!.sigPublicKey })).sig;
    for (const box of boxes) {
      if (box.roomId !== roomId || box.sharerId !== sharerId || !allowed(box)) {
        throw new KeyRefusal('invalid-payload', `The box for ${box.recipientId}, epoch ${box.epoch}, does not belong in this request`);
      }
      await verifyKeyBox(box, sharerSig).catch(() => {
        throw new KeyRefusal('invalid-payload', `The box for ${box.recipientId}, epoch ${box.epoch}, is not signed by its sharer`);
      });
    }
  }

  private async insertBoxes(tx: EntityManager, boxes: KeyBox[]): Promise<void> {
    for (const b of boxes) {
      await tx.query(
        `INSERT INTO key_boxes (room_id, epoch, recipient_id, sharer_id, wrapped, sig) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [b.roomId, b.epoch, b.recipientId, b.sharerId, b.wrapped, b.sig],
      );
    }
  }

  private async memberIds(tx: EntityManager, roomId: string): Promise<Set<string>> {
    const rows: Array<{ user_id: string }> = await tx.query(`SELECT user_id FROM room_members WHERE room_id = $1`, [roomId]);
    return new Set(rows.map((r) => r.user_id));
  }
}

function toBox(row: BoxRow): KeyBox {
  return { roomId: row.room_id, epoch: row.epoch, recipientId: row.recipient_id, sharerId: row.sharer_id, wrapped: row.wrapped, sig: row.sig };
}
