import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KeyBox, PublicKeys, RotateRequest } from '@conclave/contracts';
import { importPublicKeys, verifyKeyBox } from '@conclave/crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { UsersService } from '../auth/users/users.service.js';
import { AdmissionsService } from './membership/admissions.service.js';
import { NOT_IN_ROOM } from './not-in-room.js';

/** Why a key operation was refused; the gateway turns it into a coded socket error. */
export class KeyRefusal extends Error {
  constructor(
    readonly code: 'invalid-payload' | 'no-such-room' | 'epoch-conflict' | 'not-admitted',
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
    private readonly admissions: AdmissionsService,
  ) {}

  /**
   * Makes `epoch` the room's current epoch, with one box per member, exactly once: the first epoch of
   * a room without a key, or current + 1 (rotation). A second maker of the same epoch is refused.
   */
  async newEpoch(userId: string, roomId: string, epoch: number, boxes: KeyBox[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [room] = await tx.query(`SELECT current_epoch FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
      const members = await this.memberIds(tx, roomId);
      if (!room || !members.has(userId)) throw new KeyRefusal('no-such-room', NOT_IN_ROOM);
      const admitted = await this.admitted(roomId, userId, tx);
      const current: number = room.current_epoch;
      const [{ keyed }] = await tx.query(`SELECT EXISTS (SELECT 1 FROM key_boxes WHERE room_id = $1 AND epoch = $2) AS keyed`, [roomId, current]);
      const next = keyed ? current + 1 : current;
      if (epoch !== next) throw new KeyRefusal('epoch-conflict', `The next epoch of this room is ${next}, not ${epoch}`, current);
      const recipients = new Set(boxes.map((b) => b.recipientId));
      notAdmitted(boxes, admitted);
      if (recipients.size !== boxes.length || recipients.size !== admitted.size || [...admitted].some((m) => !recipients.has(m))) {
        throw new KeyRefusal('invalid-payload', 'A new epoch needs exactly one box for every admitted member');
      }
      await this.checkBoxes(boxes, userId, roomId, (box) => box.epoch === epoch);
      await this.insertBoxes(tx, boxes);
      await tx.query(`UPDATE rooms SET current_epoch = $2, rotation_pending = false WHERE id = $1`, [roomId, epoch]);
    });
  }

  /** Records that `userId` needs keys; returns the epochs they lack (empty: nothing to wait for). */
  async request(userId: string, roomId: string): Promise<number[]> {
    const epochs = await this.missingEpochs(roomId, userId);
    await this.admitted(roomId, userId); // nobody is asked to share with a member no admission names
    if (epochs.length) await this.db.query(`INSERT INTO key_requests (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [roomId, userId]);
    return epochs;
  }

  /**
   * Stores boxes a member shares with waiting members: signed by the sender, for members of the
   * room, for epochs the sender holds. Returns, per recipient, the epochs they received.
   */
  async share(userId: string, roomId: string, boxes: KeyBox[]): Promise<Map<string, number[]>> {
    const members = await this.memberIds(this.db.manager, roomId);
    if (!members.has(userId)) throw new KeyRefusal('no-such-room', NOT_IN_ROOM);
    notAdmitted(boxes, await this.admitted(roomId, userId));
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

  /**
   * Waiting requests in `roomIds` that `userId` can serve (they hold the room's current epoch), each
   * with the epochs the requester lacks: one query for the requests, one for the requesters' keys.
   */
  async pendingFor(userId: string, roomIds: string[]): Promise<Array<{ roomId: string; code: string; requesterId: string; publicKeys: PublicKeys; epochs: number[] }>> {
    if (!roomIds.length) return [];
    const rows: Array<{ room_id: string; code: string; user_id: string; epochs: number[] }> = await this.db.query(
      `SELECT q.room_id, r.code, q.user_id,
              ARRAY(SELECT e FROM generate_series(CASE WHEN r.history = 'shared' THEN 1 ELSE m.joined_epoch END, r.current_epoch) AS e
                     WHERE NOT EXISTS (SELECT 1 FROM key_boxes h WHERE h.room_id = q.room_id AND h.recipient_id = q.user_id AND h.epoch = e)
                     ORDER BY e) AS epochs
         FROM key_requests q
         JOIN rooms r ON r.id = q.room_id
         JOIN room_members m ON m.room_id = q.room_id AND m.user_id = q.user_id
        WHERE q.room_id = ANY($1) AND q.user_id <> $2
          AND EXISTS (SELECT 1 FROM key_boxes b WHERE b.room_id = q.room_id AND b.recipient_id = $2 AND b.epoch = r.current_epoch)`,
      [roomIds, userId],
    );
    const admitted = new Map<string, Set<string>>();
    for (const roomId of new Set(rows.map((row) => row.room_id))) admitted.set(roomId, await this.admissions.admitted(roomId));
    // Only admitted members are asked, and only for admitted requesters.
    const waiting = rows.filter((row) => row.epochs.length && admitted.get(row.room_id)!.has(userId) && admitted.get(row.room_id)!.has(row.user_id));
    const keys = new Map((await this.users.findByIds([...new Set(waiting.map((row) => row.user_id))])).map((u) => [u.id, { enc: u.encPublicKey, sig: u.sigPublicKey }]));
    return waiting.flatMap((row) => {
      const publicKeys = keys.get(row.user_id);
      return publicKeys ? [{ roomId: row.room_id, code: row.code, requesterId: row.user_id, publicKeys, epochs: row.epochs }] : [];
    });
  }

  /** For a room marked for rotation: the epoch to make and the admitted members (with their keys) to make it for. */
  async rotation(roomId: string): Promise<RotateRequest | undefined> {
    return (await this.rotations([roomId]))[0];
  }

  /** The rotations waiting in `roomIds` (one query when there are none, the usual case). */
  async rotations(roomIds: string[]): Promise<RotateRequest[]> {
    if (!roomIds.length) return [];
    const rooms: Array<{ id: string; code: string; current_epoch: number }> = await this.db.query(
      `SELECT id, code, current_epoch FROM rooms WHERE id = ANY($1) AND rotation_pending`,
      [roomIds],
    );
    const result: RotateRequest[] = [];
    for (const room of rooms) {
      const users = await this.users.findByIds([...(await this.admissions.admitted(room.id))]);
      const members = users.map((u) => ({ userId: u.id, publicKeys: { enc: u.encPublicKey, sig: u.sigPublicKey } }));
      result.push({ roomId: room.id, code: room.code, nextEpoch: room.current_epoch + 1, members });
    }
    return result;
  }

  /** Epochs the member may read but has no box for: all of them in a "shared" room, the current one in a "joined" room. */
  private async missingEpochs(roomId: string, userId: string): Promise<number[]> {
    const [room] = await this.db.query(
      `SELECT r.current_epoch, r.history, m.joined_epoch FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1`,
      [roomId, userId],
    );
    if (!room) throw new KeyRefusal('no-such-room', NOT_IN_ROOM);
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

  /** The room's admitted set (AdmissionsService); 'not-admitted' when `userId` is not in it. */
  private async admitted(roomId: string, userId: string, tx?: EntityManager): Promise<Set<string>> {
    const admitted = await this.admissions.admitted(roomId, tx);
    if (!admitted.has(userId)) throw new KeyRefusal('not-admitted', 'You are not admitted to this room (no admission names your keys yet): no key is made, shared or asked for you');
    return admitted;
  }

  private async memberIds(tx: EntityManager, roomId: string): Promise<Set<string>> {
    const rows: Array<{ user_id: string }> = await tx.query(`SELECT user_id FROM room_members WHERE room_id = $1`, [roomId]);
    return new Set(rows.map((r) => r.user_id));
  }
}

/** Boxes only for admitted members: a box for anyone else refuses the whole request. */
function notAdmitted(boxes: KeyBox[], admitted: Set<string>): void {
  const stranger = boxes.find((b) => !admitted.has(b.recipientId));
  if (stranger) throw new KeyRefusal('not-admitted', `${stranger.recipientId} is not admitted to this room: no key box is stored for them`);
}

function toBox(row: BoxRow): KeyBox {
  return { roomId: row.room_id, epoch: row.epoch, recipientId: row.recipient_id, sharerId: row.sharer_id, wrapped: row.wrapped, sig: row.sig };
}
